import { describe, expect, it } from "vitest";
import { CONFIG_HASH_ANNOTATION, type KubeObject, render } from "../../src/render/index.js";
import { toYamlStream } from "../../src/util/yaml.js";
import { VARIATIONS, validWebApp } from "../fixtures/webapps.js";

// biome-ignore lint/suspicious/noExplicitAny: tests read deep into rendered plain data
type Any = any;

const app = { image: "registry.example.com/shop:1.4.2", module: "shop.wsgi:application" };

function byKindName(objects: KubeObject[], kind: string, name: string): Any {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found)
    throw new Error(
      `${kind}/${name} not rendered; have ${objects.map((o) => `${o.kind}/${o.metadata.name}`)}`,
    );
  return found;
}
const kinds = (objects: KubeObject[]) => objects.map((o) => `${o.kind}/${o.metadata.name}`).sort();
const conf = (objects: KubeObject[]) =>
  byKindName(objects, "ConfigMap", "shop-nginx").data["nginx.conf"] as string;

describe("the children of a WebApp", () => {
  it("full layout: web tier, app tier, services, PDBs, network policy", () => {
    const { objects } = render(
      validWebApp({ app, web: {}, static: { fromImage: { path: "/app/staticfiles" } } }),
    );
    expect(kinds(objects)).toEqual([
      "ConfigMap/shop-nginx",
      "Deployment/shop-app",
      "Deployment/shop-web",
      "NetworkPolicy/shop-app",
      "PodDisruptionBudget/shop-app",
      "PodDisruptionBudget/shop-web",
      "Service/shop",
      "Service/shop-app",
    ]);
    for (const o of objects) {
      expect(o.metadata.namespace).toBe("store");
      expect(o.metadata.ownerReferences).toEqual([
        {
          apiVersion: "webapp-operator.dev/v1alpha1",
          kind: "WebApp",
          name: "shop",
          uid: "7f1d4b52-9a3c-4d8e-b7a1-0c2f5e6d9a10",
          controller: true,
          blockOwnerDeletion: true,
        },
      ]);
      expect(o.metadata.labels).toMatchObject({
        "app.kubernetes.io/name": "webapp",
        "app.kubernetes.io/instance": "shop",
        "app.kubernetes.io/managed-by": "webapp-operator",
      });
    }
    expect(byKindName(objects, "Service", "shop").spec.selector["app.kubernetes.io/component"]).toBe("web");
    expect(byKindName(objects, "Service", "shop-app").spec.selector["app.kubernetes.io/component"]).toBe(
      "app",
    );
    expect(conf(objects)).toContain("server shop-app.store.svc:8000;");
  });

  it("gunicorn command line from the spec, with workers from the CPU request", () => {
    const { objects } = render(
      validWebApp({
        app: { ...app, threads: 2, timeoutSeconds: 45, resources: { requests: { cpu: "1500m" } } },
        web: {},
      }),
    );
    const c = byKindName(objects, "Deployment", "shop-app").spec.template.spec.containers[0];
    expect(c.command).toEqual([
      "gunicorn",
      "--bind",
      "[::]:8000",
      "--workers",
      "4",
      "--threads",
      "2",
      "--worker-class",
      "gthread",
      "--timeout",
      "45",
      "--graceful-timeout",
      "30",
      "--forwarded-allow-ips",
      "*",
      "--keep-alive",
      "25",
      "--worker-tmp-dir",
      "/dev/shm",
      "--limit-request-line",
      "8190",
      "--limit-request-fields",
      "8448",
      "--limit-request-field_size",
      "8190",
      "--access-logfile",
      "-",
      "--error-logfile",
      "-",
      "shop.wsgi:application",
    ]);
  });

  it.each([
    [undefined, 3],
    ["250m", 2],
    ["1", 3],
    [2, 5],
    ["2.5", 6],
  ] as const)("default workers for a CPU request of %s is %i", (cpu, workers) => {
    const resources = cpu === undefined ? {} : { resources: { requests: { cpu } } };
    const c = byKindName(
      render(validWebApp({ app: { ...app, ...resources }, web: {} })).objects,
      "Deployment",
      "shop-app",
    ).spec.template.spec.containers[0];
    expect(c.command[c.command.indexOf("--workers") + 1]).toBe(String(workers));
  });

  it("uwsgi command line: master, processes, threads, http-socket, die-on-term, need-app, harakiri", () => {
    const { objects } = render(
      validWebApp({ app: { ...app, server: "uwsgi", workers: 4, threads: 2, timeoutSeconds: 20 } }),
    );
    const cmd: string[] = byKindName(objects, "Deployment", "shop-app").spec.template.spec.containers[0]
      .command;
    expect(cmd[0]).toBe("uwsgi");
    for (const flag of ["--master", "--die-on-term", "--need-app"]) expect(cmd).toContain(flag);
    const value = (flag: string) => cmd[cmd.indexOf(flag) + 1];
    expect(value("--processes")).toBe("4");
    expect(value("--threads")).toBe("2");
    expect(value("--http-socket")).toBe("[::]:8000");
    expect(value("--harakiri")).toBe("20");
    expect(value("--module")).toBe("shop.wsgi:application");
  });

  it("app-only: the entry Service selects the app pods; no NGINX, no -app Service", () => {
    const { objects } = render(validWebApp({ app }));
    expect(kinds(objects)).toEqual(["Deployment/shop-app", "PodDisruptionBudget/shop-app", "Service/shop"]);
    const svc = byKindName(objects, "Service", "shop");
    expect(svc.spec.selector["app.kubernetes.io/component"]).toBe("app");
    const cmd: string[] = byKindName(objects, "Deployment", "shop-app").spec.template.spec.containers[0]
      .command;
    expect(cmd[cmd.indexOf("--forwarded-allow-ips") + 1]).toBe("127.0.0.1");
  });

  it("static-only: NGINX serves / from the static volume filled from the site image", () => {
    const { objects } = render(
      validWebApp({
        web: {},
        static: { fromImage: { image: "reg.example.com/site:1", path: "/site/public/" } },
      }),
    );
    expect(kinds(objects)).toEqual([
      "ConfigMap/shop-nginx",
      "Deployment/shop-web",
      "PodDisruptionBudget/shop-web",
      "Service/shop",
    ]);
    const text = conf(objects);
    expect(text).not.toMatch(/^\s*upstream /m);
    expect(text).toMatch(/location \/ \{\n\s+root \/var\/www\/static;\n\s+index index.html;/);
    const pod = byKindName(objects, "Deployment", "shop-web").spec.template.spec;
    expect(pod.initContainers[0].image).toBe("reg.example.com/site:1");
    expect(pod.initContainers[0].command).toEqual(["cp", "-R", "--", "/site/public/.", "/var/www/static/"]);
  });

  it("HPA: autoscaling set means an HPA and no replicas in the app Deployment", () => {
    const { objects } = render(
      validWebApp({ app: { ...app, autoscaling: { minReplicas: 3, maxReplicas: 9 } }, web: {} }),
    );
    const dep = byKindName(objects, "Deployment", "shop-app");
    expect("replicas" in dep.spec).toBe(false);
    const hpa = byKindName(objects, "HorizontalPodAutoscaler", "shop-app");
    expect(hpa.spec).toMatchObject({
      minReplicas: 3,
      maxReplicas: 9,
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: "shop-app" },
      metrics: [
        {
          type: "Resource",
          resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } },
        },
      ],
    });
    expect(
      byKindName(
        render(validWebApp({ app: { ...app, replicas: 7 }, web: {} })).objects,
        "Deployment",
        "shop-app",
      ).spec.replicas,
    ).toBe(7);
  });

  it("PDBs only for tiers with more than one replica", () => {
    const one = render(validWebApp({ app: { ...app, replicas: 1 }, web: { replicas: 1 } })).objects;
    expect(one.filter((o) => o.kind === "PodDisruptionBudget")).toEqual([]);
    const hpaMinOne = render(
      validWebApp({ app: { ...app, autoscaling: { minReplicas: 1, maxReplicas: 4 } }, web: { replicas: 3 } }),
    ).objects;
    expect(hpaMinOne.filter((o) => o.kind === "PodDisruptionBudget").map((o) => o.metadata.name)).toEqual([
      "shop-web",
    ]);
  });

  it("zero-downtime settings on both tiers: maxUnavailable 0, probes, preStop, grace period", () => {
    const { objects } = render(
      validWebApp({
        app: { ...app, gracefulTimeoutSeconds: 40 },
        web: { proxyTimeouts: { readSeconds: 90 } },
      }),
    );
    for (const [name, grace] of [
      ["shop-app", 5 + 40 + 5],
      ["shop-web", 5 + 90 + 5],
    ] as const) {
      const dep = byKindName(objects, "Deployment", name);
      expect(dep.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
      const pod = dep.spec.template.spec;
      const c = pod.containers[0];
      expect(c.readinessProbe.httpGet.port).toBe("http");
      expect(c.livenessProbe.httpGet.port).toBe("http");
      expect(c.lifecycle.preStop).toEqual({ sleep: { seconds: 5 } });
      expect(pod.terminationGracePeriodSeconds).toBe(grace);
    }
    const web = byKindName(objects, "Deployment", "shop-web").spec.template.spec.containers[0];
    expect(web.readinessProbe.httpGet.path).toBe("/nginx-health");
    expect(conf(objects)).toContain("location = /nginx-health {");
  });

  it("NGINX runs unprivileged with a read-only root and writable emptyDirs; config mounted without subPath", () => {
    const pod = byKindName(render(validWebApp({ app, web: {} })).objects, "Deployment", "shop-web").spec
      .template.spec;
    const c = pod.containers[0];
    expect(c.image).toBe("nginxinc/nginx-unprivileged:1.27-alpine");
    expect(c.command).toEqual(["nginx", "-c", "/etc/nginx/webapp/nginx.conf"]);
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 101 });
    expect(c.volumeMounts.some((m: Any) => "subPath" in m)).toBe(false);
    expect(pod.volumes.find((v: Any) => v.name === "tmp")).toEqual({
      name: "tmp",
      emptyDir: { sizeLimit: "1064Mi" },
    });
  });

  it("a kept media claim has no ownerReference; a deleted one has", () => {
    const kept = byKindName(
      render(validWebApp({ app, web: {}, media: { size: "5Gi" } })).objects,
      "PersistentVolumeClaim",
      "shop-media",
    );
    expect(kept.metadata.ownerReferences).toBeUndefined();
    expect(kept.metadata.labels["app.kubernetes.io/instance"]).toBe("shop");
    expect(kept.spec.accessModes).toEqual(["ReadWriteMany"]);
    const owned = byKindName(
      render(validWebApp({ app, web: {}, media: { size: "5Gi", keepOnDelete: false } })).objects,
      "PersistentVolumeClaim",
      "shop-media",
    );
    expect(owned.metadata.ownerReferences).toHaveLength(1);
  });

  it("the Ingress routes the host to the entry Service, with TLS", () => {
    const ing = byKindName(
      render(
        validWebApp({
          app,
          web: {},
          ingress: { host: "shop.example.com", className: "nginx", tlsSecretName: "shop-tls" },
        }),
      ).objects,
      "Ingress",
      "shop",
    );
    expect(ing.spec).toEqual({
      ingressClassName: "nginx",
      tls: [{ hosts: ["shop.example.com"], secretName: "shop-tls" }],
      rules: [
        {
          host: "shop.example.com",
          http: {
            paths: [
              { path: "/", pathType: "Prefix", backend: { service: { name: "shop", port: { number: 80 } } } },
            ],
          },
        },
      ],
    });
  });

  it("the probes send the Ingress host so Django's ALLOWED_HOSTS accepts them", () => {
    const c = byKindName(
      render(validWebApp({ app, web: {}, ingress: { host: "shop.example.com" } })).objects,
      "Deployment",
      "shop-app",
    ).spec.template.spec.containers[0];
    expect(c.readinessProbe.httpGet.httpHeaders).toEqual([{ name: "Host", value: "shop.example.com" }]);
  });
});

describe("nginx.conf", () => {
  it("proxies with the forwarded headers, buffering, timeouts and body size", () => {
    const text = conf(
      render(
        validWebApp({
          app,
          web: {
            clientMaxBodySize: "25m",
            proxyTimeouts: { connectSeconds: 3, readSeconds: 70, sendSeconds: 40 },
          },
        }),
      ).objects,
    );
    for (const line of [
      "client_max_body_size 25m;",
      "proxy_pass http://webapp_app;",
      "proxy_set_header Host $host;",
      "proxy_set_header X-Real-IP $remote_addr;",
      "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
      "proxy_set_header X-Forwarded-Proto $webapp_forwarded_proto;",
      "proxy_buffering on;",
      "proxy_connect_timeout 3s;",
      "proxy_read_timeout 70s;",
      "proxy_send_timeout 40s;",
      "gzip on;",
    ]) {
      expect(text).toContain(line);
    }
    expect(text).not.toContain("Upgrade");
  });

  it.each([
    [undefined, 1],
    [{ requests: { cpu: "500m" } }, 1],
    [{ requests: { cpu: "1500m" } }, 2],
    [{ requests: { cpu: "1" }, limits: { cpu: "3" } }, 3],
    [{ limits: { cpu: 64 } }, 16],
  ])(
    "worker processes follow the CPU of the NGINX container (%j -> %i), not the node's core count",
    (resources, n) => {
      const text = conf(render(validWebApp({ app, web: resources ? { resources } : {} })).objects);
      expect(text).toContain(`worker_processes ${n};`);
    },
  );

  it("websockets add the upgrade headers", () => {
    const text = conf(
      render(validWebApp({ app: { ...app, workerClass: "gevent" }, web: { websockets: true } })).objects,
    );
    expect(text).toContain("proxy_set_header Upgrade $http_upgrade;");
    expect(text).toContain("proxy_set_header Connection $webapp_connection_upgrade;");
  });

  it("serves static and media paths from their volumes with cache headers", () => {
    const text = conf(
      render(
        validWebApp({
          app,
          web: {},
          static: { fromImage: { path: "/app/s" }, maxAgeSeconds: 3600 },
          media: { size: "1Gi" },
        }),
      ).objects,
    );
    expect(text).toMatch(/location \^~ \/static\/ \{\n\s+alias \/var\/www\/static\/;\n\s+expires 3600s;/);
    expect(text).toMatch(
      /location \^~ \/media\/ \{\n\s+alias \/var\/www\/media\/;\n\s+add_header X-Content-Type-Options nosniff always;/,
    );
  });

  it("trusted proxies: realip from X-Forwarded-For; X-Forwarded-Proto believed only from them", () => {
    const text = conf(
      render(validWebApp({ app, web: { trustedProxies: ["10.0.0.0/8", "fd00::/8"] } })).objects,
    );
    expect(text).toContain("set_real_ip_from 10.0.0.0/8;");
    expect(text).toContain("set_real_ip_from fd00::/8;");
    expect(text).toContain("real_ip_header X-Forwarded-For;");
    expect(text).toMatch(
      /geo \$realip_remote_addr \$webapp_trusted_peer \{\n\s+default 0;\n\s+10.0.0.0\/8 1;\n\s+fd00::\/8 1;/,
    );
    const none = conf(render(validWebApp({ app, web: {} })).objects);
    expect(none).not.toContain("set_real_ip_from");
    expect(none).toMatch(/map \$scheme \$webapp_forwarded_proto \{\n\s+default \$scheme;\n\s+\}/);
  });
});

describe("determinism and the config checksum", () => {
  it.each(VARIATIONS)("%s renders byte-identical output twice", (_name, spec) => {
    expect(toYamlStream(render(validWebApp(spec)).objects)).toBe(
      toYamlStream(render(validWebApp(spec)).objects),
    );
  });

  const hashOf = (spec: Record<string, unknown>) =>
    byKindName(render(validWebApp(spec)).objects, "Deployment", "shop-web").spec.template.metadata
      .annotations[CONFIG_HASH_ANNOTATION];
  const base = { app, web: { clientMaxBodySize: "10m" } };

  it("changes when the config changes", () => {
    expect(hashOf({ app, web: { clientMaxBodySize: "11m" } })).not.toBe(hashOf(base));
    expect(hashOf({ app, web: { clientMaxBodySize: "10m", gzip: false } })).not.toBe(hashOf(base));
  });

  it("stays when only things outside nginx.conf change", () => {
    expect(
      hashOf({
        app: { ...app, image: "registry.example.com/shop:9.9.9", replicas: 5 },
        web: { clientMaxBodySize: "10m", replicas: 4 },
      }),
    ).toBe(hashOf(base));
    // Writing a default out explicitly renders the same config.
    expect(hashOf({ app, web: { clientMaxBodySize: "10m", gzip: true } })).toBe(hashOf(base));
  });

  it("equals the sha256 of the rendered nginx.conf", async () => {
    const { createHash } = await import("node:crypto");
    const objects = render(validWebApp(base)).objects;
    expect(hashOf(base)).toBe(createHash("sha256").update(conf(objects)).digest("hex"));
  });
});

describe("warnings for valid but unwise specs", () => {
  const warningsOf = (spec: Record<string, unknown>) => render(validWebApp(spec)).warnings;

  it.each([
    ["flask run", ["flask", "run", "--host=0.0.0.0"], "`flask run`"],
    ["manage.py runserver", ["python", "manage.py", "runserver", "0.0.0.0:8000"], "`manage.py runserver`"],
    ["app.run()", ["python", "-c", "from app import app; app.run(host='0.0.0.0')"], "`app.run()`"],
    ["/usr/local/bin/flask run", ["/usr/local/bin/flask", "run"], "`flask run`"],
  ])("development server: %s", (_label, command, named) => {
    const w = warningsOf({ app: { image: app.image, server: "command", command, replicas: 2 }, web: {} });
    expect(w.some((m) => m.startsWith("spec.app.command:") && m.includes(named))).toBe(true);
  });

  it("sync Gunicorn workers with websockets", () => {
    expect(
      warningsOf({ app, web: { websockets: true } }).some((m) => m.startsWith("spec.app.workerClass")),
    ).toBe(true);
    expect(
      warningsOf({ app: { ...app, workerClass: "gevent" }, web: { websockets: true } }).some((m) =>
        m.startsWith("spec.app.workerClass"),
      ),
    ).toBe(false);
  });

  it("a single app replica without autoscaling", () => {
    expect(
      warningsOf({ app: { ...app, replicas: 1 }, web: {} }).some((m) => m.startsWith("spec.app.replicas")),
    ).toBe(true);
    expect(
      warningsOf({ app: { ...app, autoscaling: { minReplicas: 1, maxReplicas: 3 } }, web: {} }).some((m) =>
        m.startsWith("spec.app.replicas"),
      ),
    ).toBe(false);
  });

  it("trusted proxies that cover every address", () => {
    for (const everyone of ["0.0.0.0/0", "::/0"]) {
      const w = warningsOf({ app, web: { trustedProxies: ["10.0.0.0/8", everyone] } });
      expect(w.filter((m) => m.startsWith("spec.web.trustedProxies:"))).toEqual([
        `spec.web.trustedProxies: ${everyone} trusts every address, so any client can claim any address and https; list only your proxies' networks`,
      ]);
    }
    expect(warningsOf({ app, web: { trustedProxies: ["10.0.0.0/8", "fd00::/8"] } })).not.toContainEqual(
      expect.stringMatching(/^spec\.web\.trustedProxies/),
    );
  });

  it("a production-grade spec has no warnings", () => {
    expect(
      warningsOf({
        app: { ...app, resources: { requests: { cpu: "1" } } },
        web: {},
        static: { fromImage: { path: "/app/s" } },
      }),
    ).toEqual([]);
    expect(
      warningsOf({
        app: { image: app.image, server: "command", command: ["gunicorn", "shop.wsgi"] },
        web: {},
      }),
    ).toEqual([]);
  });
});
