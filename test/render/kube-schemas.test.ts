import { describe, expect, it } from "vitest";
import { parseWebApp } from "../../src/api/index.js";
import { type KubeObject, render } from "../../src/render/index.js";
import { exampleWebApps, VARIATIONS, validWebApp } from "../fixtures/webapps.js";
import { validateAgainstKubernetesSchema } from "../support/kube-schemas.js";
import { restrictedViolations } from "../support/pod-security.js";

/** The pod template's spec of a workload (Deployment, Job, CronJob), if the object has one. */
// biome-ignore lint/suspicious/noExplicitAny: rendered data
function podSpecOf(obj: any): unknown {
  return obj.kind === "CronJob" ? obj.spec.jobTemplate.spec.template.spec : obj.spec?.template?.spec;
}

function checkObjects(objects: KubeObject[]) {
  expect(objects.length).toBeGreaterThan(0);
  for (const obj of objects) {
    expect(() => validateAgainstKubernetesSchema(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
    expect(obj.metadata.labels?.["app.kubernetes.io/managed-by"]).toBe("webapp-operator");
    const pod = podSpecOf(obj);
    if (["Deployment", "Job", "CronJob"].includes(obj.kind))
      expect(pod, `${obj.kind} has a pod`).toBeDefined();
    if (pod) expect(restrictedViolations(pod), `${obj.kind} ${obj.metadata.name} pod security`).toEqual([]);
  }
  const ids = objects.map((o) => `${o.kind}/${o.metadata.name}`);
  expect(new Set(ids).size, "no two children share kind and name").toBe(ids.length);
}

describe("rendered objects validate against the upstream Kubernetes schemas", () => {
  it.each(VARIATIONS)("%s", (_name, spec) => {
    checkObjects(render(validWebApp(spec)).objects);
  });

  it.each(exampleWebApps().map((e) => [e.file, e.doc] as const))("example %s", (_file, doc) => {
    const parsed = parseWebApp({
      ...doc,
      metadata: { namespace: "default", uid: "u-1", ...(doc.metadata as object) },
    });
    if (!parsed.ok) throw new Error(`example is invalid: ${JSON.stringify(parsed.errors)}`);
    checkObjects(render(parsed.webapp).objects);
  });

  it("has at least 20 variations and 4 examples", () => {
    expect(VARIATIONS.length).toBeGreaterThanOrEqual(20);
    expect(exampleWebApps().length).toBeGreaterThanOrEqual(4);
  });

  it("the variations render Ingresses and HTTPRoutes, so both are checked", () => {
    const kinds = VARIATIONS.flatMap(([, spec]) => render(validWebApp(spec)).objects.map((o) => o.kind));
    expect(kinds.filter((k) => k === "Ingress").length).toBeGreaterThanOrEqual(4);
    expect(kinds.filter((k) => k === "HTTPRoute").length).toBeGreaterThanOrEqual(2);
  });

  it("the HTTPRoute check (the published CRD's schema and CEL rules) catches a broken route", () => {
    const spec = { app: { image: "a/b:1", module: "m:app" }, httpRoute: { parentRefs: [{ name: "gw" }] } };
    const route = render(validWebApp(spec)).objects.find((o) => o.kind === "HTTPRoute")!;
    expect(() => validateAgainstKubernetesSchema(route)).not.toThrow();
    // biome-ignore lint/suspicious/noExplicitAny: deliberately corrupting rendered data
    const broken = (edit: (r: any) => void) => {
      const copy = structuredClone(route);
      edit(copy);
      return () => validateAgainstKubernetesSchema(copy);
    };
    expect(broken((r) => (r.spec.hostnames = ["Shop.Example.com"]))).toThrow(/hostnames\[0\]/);
    expect(broken((r) => (r.spec.parentRefs[0].gateway = "gw"))).toThrow(
      /not declare: spec\.parentRefs\.0\.gateway/,
    );
    expect(broken((r) => r.spec.parentRefs.push({ name: "gw" }))).toThrow(/parentRefs/);
    expect(broken((r) => (r.spec.rules[0].backendRefs[0].port = undefined))).toThrow(/port/);
  });

  it("the schema check itself catches a broken Job and CronJob", () => {
    const { objects } = render(
      validWebApp({
        app: { image: "a/b:1", module: "m:app", migrate: { command: ["migrate"] } },
        cronJobs: [{ name: "r", schedule: "@daily", command: ["r"] }],
      }),
    );
    const job = structuredClone(objects.find((o) => o.kind === "Job")!);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately corrupting rendered data
    (job as any).spec.backoffLimit = "twice";
    expect(() => validateAgainstKubernetesSchema(job)).toThrow(/backoffLimit/);
    const cron = structuredClone(objects.find((o) => o.kind === "CronJob")!);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately corrupting rendered data
    delete (cron as any).spec.schedule;
    expect(() => validateAgainstKubernetesSchema(cron)).toThrow(/schedule/);
  });

  it("the schema check itself catches a broken object", () => {
    const { objects } = render(validWebApp({ app: { image: "a/b:1", module: "m:app" }, web: {} }));
    const deployment = structuredClone(objects.find((o) => o.kind === "Deployment")!);
    // biome-ignore lint/suspicious/noExplicitAny: deliberately corrupting rendered data
    (deployment as any).spec.template.spec.containers[0].ports[0].containerPort = "http";
    expect(() => validateAgainstKubernetesSchema(deployment)).toThrow(/containerPort/);
  });
});
