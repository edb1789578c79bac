/** The app's processes around its servers: the migration Job of each version, workers, scheduled jobs. */
import { describe, expect, it } from "vitest";
import { APP_VERSION_ANNOTATION, type KubeObject, render } from "../../src/render/index.js";
import { validWebApp } from "../fixtures/webapps.js";

// biome-ignore lint/suspicious/noExplicitAny: tests read deep into rendered plain data
type Any = any;

const migrate = { command: ["python", "manage.py", "migrate", "--noinput"] };
const app = {
  image: "registry.example.com/shop:1.4.2",
  module: "shop.wsgi:application",
  env: [{ name: "DJANGO_SETTINGS_MODULE", value: "shop.settings" }],
  envFrom: [{ secretRef: { name: "shop-secrets" } }],
  resources: { requests: { cpu: "500m", memory: "256Mi" } },
  migrate,
};
const staticFromImage = { fromImage: { path: "/app/staticfiles" } };

function find(objects: KubeObject[], kind: string, name?: string): Any {
  const found = objects.find((o) => o.kind === kind && (name === undefined || o.metadata.name === name));
  if (!found)
    throw new Error(
      `${kind}/${name} not rendered; have ${objects.map((o) => `${o.kind}/${o.metadata.name}`)}`,
    );
  return found;
}

const appPod = (objects: KubeObject[]) => find(objects, "Deployment", "shop-app").spec.template.spec;
const versionOf = (spec: Record<string, unknown>) => render(validWebApp(spec)).appVersion;

describe("the migration Job", () => {
  const rendered = render(validWebApp({ app, web: {}, static: staticFromImage, media: { size: "1Gi" } }));
  const job = find(rendered.objects, "Job");

  it("is named after the app version, which the app Deployment carries", () => {
    expect(rendered.appVersion).toMatch(/^[0-9a-f]{10}$/);
    expect(job.metadata.name).toBe(`shop-migrate-${rendered.appVersion}`);
    expect(job.metadata.labels["webapp-operator.dev/app-version"]).toBe(rendered.appVersion);
    expect(job.spec.template.metadata.labels).toMatchObject({
      "app.kubernetes.io/instance": "shop",
      "app.kubernetes.io/component": "migrate",
      "webapp-operator.dev/app-version": rendered.appVersion,
    });
    const deployment = find(rendered.objects, "Deployment", "shop-app");
    expect(deployment.metadata.annotations[APP_VERSION_ANNOTATION]).toBe(rendered.appVersion);
    // On the Deployment, not its pod template: a new migration command alone rolls no pod.
    expect(deployment.spec.template.metadata.annotations?.[APP_VERSION_ANNOTATION]).toBeUndefined();
  });

  it("runs the command once from the app pod: same image, env, volumes, account and security", () => {
    const pod = job.spec.template.spec;
    const server = appPod(rendered.objects);
    const [container] = pod.containers;
    expect(pod.containers).toHaveLength(1);
    expect(container).toMatchObject({
      name: "migrate",
      image: app.image,
      command: migrate.command,
      env: server.containers[0].env,
      envFrom: app.envFrom,
      resources: app.resources,
      securityContext: server.containers[0].securityContext,
      volumeMounts: server.containers[0].volumeMounts,
    });
    for (const serving of ["ports", "args", "startupProbe", "readinessProbe", "livenessProbe", "lifecycle"])
      expect(container, serving).not.toHaveProperty(serving);
    expect(pod.restartPolicy).toBe("Never");
    const { containers: _a, restartPolicy: _r, ...podRest } = pod;
    const { containers: _b, ...serverRest } = server;
    expect(podRest).toEqual(serverRest);
  });

  it("has the deadline and retries of the spec (defaults 1800 s and 1), and no TTL: the controller keeps it", () => {
    expect(job.spec).toMatchObject({ backoffLimit: 1, activeDeadlineSeconds: 1800 });
    expect(job.spec).not.toHaveProperty("ttlSecondsAfterFinished");
    const custom = find(
      render(
        validWebApp({ app: { ...app, migrate: { ...migrate, backoffLimit: 0, activeDeadlineSeconds: 60 } } }),
      ).objects,
      "Job",
    );
    expect(custom.spec).toMatchObject({ backoffLimit: 0, activeDeadlineSeconds: 60 });
  });

  it("a version is the image and the command, env and envFrom the migration sees; nothing else", () => {
    const base = { app, web: {}, static: staticFromImage };
    const v = versionOf(base);
    expect(versionOf(base)).toBe(v);
    const changed = (a: object) => versionOf({ ...base, app: { ...app, ...a } });
    expect(changed({ image: "registry.example.com/shop:1.4.3" })).not.toBe(v);
    expect(changed({ env: [{ name: "DJANGO_SETTINGS_MODULE", value: "shop.other" }] })).not.toBe(v);
    expect(changed({ envFrom: [{ configMapRef: { name: "shop" } }] })).not.toBe(v);
    expect(changed({ migrate: { command: ["alembic", "upgrade", "head"] } })).not.toBe(v);
    // Not a new version: replicas, server settings, resources, deadlines, workers, scheduled jobs.
    expect(changed({ replicas: 5, workers: 9, threads: 2 })).toBe(v);
    expect(changed({ resources: { requests: { cpu: "2" } } })).toBe(v);
    expect(changed({ migrate: { ...migrate, backoffLimit: 3, activeDeadlineSeconds: 60 } })).toBe(v);
    expect(versionOf({ ...base, workers: [{ name: "w", command: ["w"] }] })).toBe(v);
    expect(versionOf({ ...base, cronJobs: [{ name: "c", schedule: "@daily", command: ["c"] }] })).toBe(v);
    // The same values in another key order are the same version.
    const reordered = { ...app, env: [{ value: "shop.settings", name: "DJANGO_SETTINGS_MODULE" }] };
    expect(versionOf({ ...base, app: reordered })).toBe(v);
  });

  it("without spec.app.migrate there is no Job, no version and no annotation", () => {
    const { migrate: _, ...plain } = app;
    const r = render(validWebApp({ app: plain, web: {} }));
    expect(r.appVersion).toBeUndefined();
    expect(r.objects.filter((o) => o.kind === "Job")).toEqual([]);
    expect(find(r.objects, "Deployment", "shop-app").metadata.annotations).toBeUndefined();
  });

  it("a long WebApp name keeps the Job's name within 63 characters, the version at its end", () => {
    const long = (last: string) => `${"a".repeat(50)}-shop-${last}`;
    const names = ["x", "y"].map((last) => {
      const r = render(validWebApp({ app }, long(last)));
      const name = find(r.objects, "Job").metadata.name as string;
      expect(name.length).toBeLessThanOrEqual(63);
      expect(name.endsWith(`-migrate-${r.appVersion}`)).toBe(true);
      return name;
    });
    expect(names[0]).not.toBe(names[1]);
  });
});

describe("workers", () => {
  const spec = {
    app,
    web: {},
    workers: [
      { name: "celery", command: ["celery", "-A", "shop", "worker"], replicas: 3 },
      { name: "beat", command: ["celery", "-A", "shop", "beat"], singleton: true },
      {
        name: "rq",
        command: ["rq", "worker"],
        autoscaling: { minReplicas: 1, maxReplicas: 4 },
        resources: { requests: { cpu: "100m" } },
        livenessProbe: { command: ["rq", "info"], periodSeconds: 20 },
        readinessProbe: { command: ["test", "-e", "/tmp/ready"] },
      },
    ],
  };
  const { objects } = render(validWebApp(spec));

  it("one Deployment each, named <webapp>-worker-<name>, from the app pod with the worker's command", () => {
    const celery = find(objects, "Deployment", "shop-worker-celery");
    const server = appPod(objects);
    const pod = celery.spec.template.spec;
    expect(celery.spec.replicas).toBe(3);
    expect(pod.containers[0]).toMatchObject({
      name: "worker",
      image: app.image,
      command: spec.workers[0]!.command,
      env: server.containers[0].env,
      envFrom: app.envFrom,
      resources: app.resources,
    });
    for (const serving of ["ports", "startupProbe", "readinessProbe", "livenessProbe", "lifecycle"])
      expect(pod.containers[0], serving).not.toHaveProperty(serving);
    expect(pod.securityContext).toEqual(server.securityContext);
    expect(pod.volumes).toEqual(server.volumes);
    expect(celery.spec.strategy).toEqual({
      type: "RollingUpdate",
      rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" },
    });
  });

  it("selectors tell each worker's pods apart from the app's and from each other's; no Service", () => {
    const selectors = ["shop-app", "shop-worker-celery", "shop-worker-beat", "shop-worker-rq"].map(
      (name) => find(objects, "Deployment", name).spec.selector.matchLabels,
    );
    expect(new Set(selectors.map((s) => JSON.stringify(s))).size).toBe(4);
    const celery = find(objects, "Deployment", "shop-worker-celery");
    expect(celery.spec.template.metadata.labels).toMatchObject(celery.spec.selector.matchLabels);
    expect(celery.spec.selector.matchLabels).toEqual({
      "app.kubernetes.io/name": "webapp",
      "app.kubernetes.io/instance": "shop",
      "app.kubernetes.io/component": "worker",
      "webapp-operator.dev/process": "celery",
    });
    const services = objects.filter((o) => o.kind === "Service").map((o) => o.metadata.name);
    expect(services.sort()).toEqual(["shop", "shop-app"]);
  });

  it("a singleton is replaced with Recreate and runs one replica", () => {
    const beat = find(objects, "Deployment", "shop-worker-beat");
    expect(beat.spec.strategy).toEqual({ type: "Recreate" });
    expect(beat.spec.replicas).toBe(1);
  });

  it("an autoscaled worker has an HPA on its Deployment and no replica count; exec probes with defaults", () => {
    const rq = find(objects, "Deployment", "shop-worker-rq");
    expect(rq.spec).not.toHaveProperty("replicas");
    const hpa = find(objects, "HorizontalPodAutoscaler", "shop-worker-rq");
    expect(hpa.spec).toMatchObject({
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "shop-worker-rq" },
      minReplicas: 1,
      maxReplicas: 4,
    });
    const [container] = rq.spec.template.spec.containers;
    expect(container.resources).toEqual({ requests: { cpu: "100m" } });
    expect(container.livenessProbe).toEqual({
      exec: { command: ["rq", "info"] },
      periodSeconds: 20,
      timeoutSeconds: 10,
      failureThreshold: 3,
    });
    expect(container.readinessProbe).toEqual({
      exec: { command: ["test", "-e", "/tmp/ready"] },
      periodSeconds: 10,
      timeoutSeconds: 10,
      failureThreshold: 3,
    });
  });
});

describe("scheduled jobs", () => {
  const { objects } = render(
    validWebApp({
      app,
      cronJobs: [
        { name: "clearsessions", schedule: "0 3 * * *", command: ["python", "manage.py", "clearsessions"] },
        {
          name: "report",
          schedule: "@hourly",
          command: ["python", "manage.py", "report"],
          timeZone: "Europe/Paris",
          concurrencyPolicy: "Replace",
          suspend: true,
          startingDeadlineSeconds: 120,
          activeDeadlineSeconds: 600,
          backoffLimit: 2,
        },
      ],
    }),
  );

  it("a CronJob each, running the app pod with the job's command, never restarted in place", () => {
    const cron = find(objects, "CronJob", "shop-cron-clearsessions");
    expect(cron.spec).toEqual({
      schedule: "0 3 * * *",
      concurrencyPolicy: "Forbid",
      jobTemplate: { spec: { backoffLimit: 0, template: expect.any(Object) } },
    });
    const pod = cron.spec.jobTemplate.spec.template.spec;
    expect(pod.restartPolicy).toBe("Never");
    expect(pod.containers[0]).toMatchObject({
      name: "job",
      image: app.image,
      command: ["python", "manage.py", "clearsessions"],
    });
    expect(cron.spec.jobTemplate.spec.template.metadata.labels).toMatchObject({
      "app.kubernetes.io/instance": "shop",
      "app.kubernetes.io/component": "cron",
      "webapp-operator.dev/process": "clearsessions",
    });
    // The CronJob's Jobs are its own: no labels that would file them under the WebApp.
    expect(cron.spec.jobTemplate).not.toHaveProperty("metadata");
  });

  it("takes the schedule's settings from the spec", () => {
    const cron = find(objects, "CronJob", "shop-cron-report");
    expect(cron.spec).toMatchObject({
      schedule: "@hourly",
      timeZone: "Europe/Paris",
      concurrencyPolicy: "Replace",
      suspend: true,
      startingDeadlineSeconds: 120,
      jobTemplate: { spec: { backoffLimit: 2, activeDeadlineSeconds: 600 } },
    });
  });

  it("a long name fits the 52 characters of a CronJob", () => {
    const r = render(
      validWebApp(
        { app, cronJobs: [{ name: "a".repeat(30), schedule: "@daily", command: ["x"] }] },
        "b".repeat(57),
      ),
    );
    const name = find(r.objects, "CronJob").metadata.name as string;
    expect(name.length).toBeLessThanOrEqual(52);
    expect(name.endsWith(`-cron-${"a".repeat(30)}`)).toBe(true);
  });
});

describe("what waits for a migration", () => {
  const versioned = (spec: Record<string, unknown>) =>
    render(validWebApp(spec))
      .children.filter((c) => c.versioned)
      .map((c) => `${c.object.kind}/${c.object.metadata.name}`)
      .sort();

  it("the app, its workers and scheduled jobs, and NGINX when it copies static files from the app image", () => {
    const processes = {
      workers: [{ name: "celery", command: ["celery"] }],
      cronJobs: [{ name: "report", schedule: "@daily", command: ["report"] }],
    };
    expect(versioned({ app, web: {}, static: staticFromImage, ...processes })).toEqual([
      "CronJob/shop-cron-report",
      "Deployment/shop-app",
      "Deployment/shop-web",
      "Deployment/shop-worker-celery",
    ]);
    const ownImage = { fromImage: { path: "/site", image: "registry.example.com/site:1" } };
    expect(versioned({ app, web: {}, static: ownImage })).toEqual(["Deployment/shop-app"]);
    expect(versioned({ app, web: {} })).toEqual(["Deployment/shop-app"]);
  });
});
