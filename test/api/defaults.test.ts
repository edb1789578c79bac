/**
 * One source for defaults: every default a field's description states comes from the table in
 * src/api/defaults.ts, every table entry is stated by its field, and the stated default is the one
 * applied (by resolveSpec for the operator's defaults, by leaving the field out for the cluster's).
 */
import { describe, expect, it } from "vitest";
import { webAppCrd } from "../../src/api/crd.js";
import { DEFAULTS, type DefaultKey } from "../../src/api/defaults.js";
import { resolveSpec } from "../../src/api/resolve.js";
import { type KubeObject, render } from "../../src/render/index.js";
import { validWebApp } from "../fixtures/webapps.js";

type Schema = { description?: string; properties?: Record<string, Schema>; items?: Schema };

/** Every described field of the spec schema, by dotted path under `spec`. */
function describedFields(schema: Schema, prefix = ""): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, child] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    if (child.description) out.set(path, child.description);
    for (const [p, d] of describedFields(child, path)) out.set(p, d);
    if (child.items) for (const [p, d] of describedFields(child.items, path)) out.set(p, d);
  }
  return out;
}

const crd = webAppCrd() as {
  spec: { versions: { schema: { openAPIV3Schema: { properties: { spec: Schema } } } }[] };
};
const fields = describedFields(crd.spec.versions[0]!.schema.openAPIV3Schema.properties.spec);
const entries = Object.entries(DEFAULTS) as [DefaultKey, (typeof DEFAULTS)[DefaultKey]][];

/** A spec in which every section exists, so each operator default has a place to land. */
const FULL = {
  app: {
    image: "registry.example.com/shop:1",
    module: "shop.wsgi:application",
    autoscaling: { maxReplicas: 5 },
    migrate: { command: ["python", "manage.py", "migrate"] },
  },
  web: {},
  static: { fromImage: { path: "/app/staticfiles" } },
  media: { size: "1Gi" },
  service: {},
  ingress: { host: "shop.example.com" },
  workers: [
    {
      name: "celery",
      command: ["celery", "worker"],
      livenessProbe: { command: ["celery", "inspect", "ping"] },
      readinessProbe: { command: ["celery", "inspect", "ping"] },
    },
  ],
  cronJobs: [
    { name: "clearsessions", schedule: "@daily", command: ["python", "manage.py", "clearsessions"] },
  ],
};

const FULL_ROUTE = { parentRefs: [{ name: "public" }], hostnames: ["shop.example.com"] };

/** The value at a dotted path; a list stands for its first item (the defaults of spec.workers[]...). */
function at(obj: unknown, path: string): unknown {
  return path.split(".").reduce<unknown>((o, k) => {
    const item = Array.isArray(o) ? o[0] : o;
    return (item as Record<string, unknown> | undefined)?.[k];
  }, obj);
}

describe("the defaults table", () => {
  it("is what every description states, word for word", () => {
    for (const [key, entry] of entries) {
      const description = fields.get(key);
      expect(description, `spec.${key} has a description`).toBeDefined();
      expect(description, `spec.${key}`).toContain(`Default: ${entry.text}.`);
    }
  });

  it("holds every default a description states", () => {
    const stated = [...fields].filter(([, d]) => d.includes("Default:")).map(([path]) => path);
    expect(stated.length).toBeGreaterThan(20);
    for (const path of stated) expect(Object.keys(DEFAULTS), `spec.${path}`).toContain(path);
  });

  it("fixed defaults are the values resolveSpec applies", () => {
    const resolved = resolveSpec(validWebApp(FULL).spec);
    // The Ingress and the route exclude each other: the route's defaults land on a spec of their own.
    const routed = resolveSpec(validWebApp({ ...FULL, ingress: undefined, httpRoute: FULL_ROUTE }).spec);
    const fixed = entries.filter(([key, e]) => "value" in e && e.by !== "kubernetes" && !isRule(key));
    expect(fixed.length).toBeGreaterThan(20);
    for (const [key, entry] of fixed) {
      expect(at(key.startsWith("httpRoute.") ? routed : resolved, key), `spec.${key}`).toEqual(entry.value);
    }
  });

  it("the cluster's defaults are left to the cluster: the field stays unset in what is applied", () => {
    const { objects } = render(validWebApp({ ...FULL, static: { persistentVolumeClaim: { size: "1Gi" } } }));
    const text = JSON.stringify(objects);
    expect(text).not.toContain("storageClassName");
    expect(text).not.toContain("ingressClassName");
    expect(text).not.toContain("serviceAccountName");
    for (const [key, entry] of entries.filter(([, e]) => e.by === "kubernetes")) {
      expect(at(resolveSpec(validWebApp(FULL).spec), key), `spec.${key}`).toBeUndefined();
      expect(entry.text).toMatch(/default/);
    }
  });
});

/** Defaults computed from other fields, each checked on the cases its text names. */
const RULES: Record<string, () => void> = {
  "app.workers": () => {
    const workers = (cpu?: string) =>
      resolveSpec(validWebApp({ app: { ...FULL.app, resources: cpu ? { requests: { cpu } } : {} } }).spec)
        .app!.workers;
    expect(workers()).toBe(3); // one core assumed: 2 x 1 + 1
    expect(workers("2")).toBe(5);
    expect(workers("1500m")).toBe(4);
  },
  "app.workerClass": () => {
    const cls = (threads: number) =>
      resolveSpec(validWebApp({ app: { ...FULL.app, threads } }).spec).app!.workerClass;
    expect(cls(1)).toBe("sync");
    expect(cls(4)).toBe("gthread");
  },
  "app.autoscaling.minReplicas": () => {
    const min = (maxReplicas: number) => {
      const hpa = render(validWebApp({ app: { ...FULL.app, autoscaling: { maxReplicas } } })).objects.find(
        (o) => o.kind === "HorizontalPodAutoscaler",
      ) as unknown as { spec: { minReplicas: number } };
      return hpa.spec.minReplicas;
    };
    expect(min(5)).toBe(2);
    expect(min(1)).toBe(1);
  },
  "app.autoscaling.targetCPUUtilizationPercentage": () => {
    const metrics = (autoscaling: object) =>
      JSON.stringify(
        render(validWebApp({ app: { ...FULL.app, autoscaling } })).objects.find(
          (o) => o.kind === "HorizontalPodAutoscaler",
        ),
      );
    expect(metrics({ maxReplicas: 3 })).toContain('"averageUtilization":70');
    expect(metrics({ maxReplicas: 3, targetMemoryUtilizationPercentage: 80 })).not.toContain('"name":"cpu"');
  },
  "app.healthCheck.host": () => {
    expect(resolveSpec(validWebApp(FULL).spec).app!.healthCheck.host).toBe("shop.example.com");
    expect(resolveSpec(validWebApp({ app: FULL.app }).spec).app!.healthCheck.host).toBeUndefined();
    const wildcard = validWebApp({ app: FULL.app, ingress: { host: "*.example.com" } });
    expect(resolveSpec(wildcard.spec).app!.healthCheck.host).toBe("example.com");
  },
  "ingress.tlsSecretName": () => {
    const tls = (ingress: object) =>
      (
        render(validWebApp({ app: FULL.app, ingress })).objects.find(
          (o) => o.kind === "Ingress",
        ) as unknown as {
          spec: { tls?: { secretName: string }[] };
        }
      ).spec.tls;
    expect(tls({ host: "a.example.com", certManager: { issuer: "ca" } })).toEqual([
      { hosts: ["a.example.com"], secretName: "shop-tls" },
    ]);
    expect(tls({ host: "a.example.com", tlsSecretName: "mine", certManager: { issuer: "ca" } })).toEqual([
      { hosts: ["a.example.com"], secretName: "mine" },
    ]);
    expect(tls({ host: "a.example.com" })).toBeUndefined();
  },
  "ingress.hosts.tlsSecretName": () => {
    const tls = (ingress: object) =>
      (
        render(validWebApp({ app: FULL.app, ingress })).objects.find(
          (o) => o.kind === "Ingress",
        ) as unknown as {
          spec: { tls?: { hosts: string[]; secretName: string }[] };
        }
      ).spec.tls;
    const hosts = [{ host: "a.example.com" }, { host: "b.example.com", tlsSecretName: "b" }];
    expect(tls({ hosts, certManager: { clusterIssuer: "le" } })).toEqual([
      { hosts: ["a.example.com"], secretName: "shop-tls" },
      { hosts: ["b.example.com"], secretName: "b" },
    ]);
    expect(tls({ hosts })).toEqual([{ hosts: ["b.example.com"], secretName: "b" }]);
  },
  "static.urlPath": () => {
    expect(resolveSpec(validWebApp(FULL).spec).static!.urlPath).toBe("/static/");
    const site = { web: {}, static: { fromImage: { image: "registry.example.com/site:1", path: "/site" } } };
    expect(resolveSpec(validWebApp(site).spec).static!.urlPath).toBe("/");
  },
  "workers.resources": () => {
    // The pod's ephemeral storage is the render's own (its volumes plus logs), whoever set CPU and memory.
    const cpuAndMemory = (resources: object | undefined) => {
      const r = (resources ?? {}) as { requests?: object; limits?: object };
      const strip = (m?: object) => {
        const { "ephemeral-storage": _, ...rest } = (m ?? {}) as Record<string, string>;
        return Object.keys(rest).length > 0 ? rest : undefined;
      };
      return JSON.parse(JSON.stringify({ requests: strip(r.requests), limits: strip(r.limits) }));
    };
    const resources = { requests: { cpu: "250m", memory: "128Mi" } };
    const worker = (own?: object) =>
      podOf(
        render(
          validWebApp({
            ...FULL,
            app: { ...FULL.app, resources },
            workers: [{ ...FULL.workers[0], ...own }],
          }),
        ).objects,
        "shop-worker-celery",
      ).containers[0]!.resources;
    expect(cpuAndMemory(worker())).toEqual(resources);
    expect(cpuAndMemory(worker({ resources: { limits: { memory: "1Gi" } } }))).toEqual({
      limits: { memory: "1Gi" },
    });
  },
  "cronJobs.resources": () => {
    const resources = { requests: { cpu: "250m" } };
    const job = (own?: object) => {
      const cron = render(
        validWebApp({
          ...FULL,
          app: { ...FULL.app, resources },
          cronJobs: [{ ...FULL.cronJobs[0], ...own }],
        }),
      ).objects.find((o) => o.kind === "CronJob") as unknown as {
        spec: { jobTemplate: { spec: { template: { spec: { containers: { resources?: object }[] } } } } };
      };
      return cron.spec.jobTemplate.spec.template.spec.containers[0]!.resources;
    };
    const cpu = (r: object | undefined) => (r as { requests?: { cpu?: string } } | undefined)?.requests?.cpu;
    expect(cpu(job())).toBe("250m");
    expect(cpu(job({ resources: { requests: { cpu: "1" } } }))).toBe("1");
  },
  "workers.autoscaling.minReplicas": () => {
    const min = (maxReplicas: number) =>
      (
        hpaOf(
          render(validWebApp({ ...FULL, workers: [{ ...FULL.workers[0], autoscaling: { maxReplicas } }] }))
            .objects,
          "shop-worker-celery",
        ) as { spec: { minReplicas: number } }
      ).spec.minReplicas;
    expect(min(5)).toBe(2);
    expect(min(1)).toBe(1);
  },
  "workers.autoscaling.targetCPUUtilizationPercentage": () => {
    const metrics = (autoscaling: object) =>
      JSON.stringify(
        hpaOf(
          render(validWebApp({ ...FULL, workers: [{ ...FULL.workers[0], autoscaling }] })).objects,
          "shop-worker-celery",
        ),
      );
    expect(metrics({ maxReplicas: 3 })).toContain('"averageUtilization":70');
    expect(metrics({ maxReplicas: 3, targetMemoryUtilizationPercentage: 80 })).not.toContain('"name":"cpu"');
  },
  "static.fromImage.image": () => {
    const web = render(validWebApp(FULL)).objects.find((o) => o.metadata.name === "shop-web") as unknown as {
      spec: { template: { spec: { initContainers: { image: string }[] } } };
    };
    expect(web.spec.template.spec.initContainers[0]!.image).toBe(FULL.app.image);
  },
};

function podOf(objects: KubeObject[], name: string): { containers: { resources?: object }[] } {
  const d = objects.find((o) => o.kind === "Deployment" && o.metadata.name === name) as unknown as {
    spec: { template: { spec: { containers: { resources?: object }[] } } };
  };
  return d.spec.template.spec;
}

function hpaOf(objects: KubeObject[], name: string): unknown {
  return objects.find((o) => o.kind === "HorizontalPodAutoscaler" && o.metadata.name === name);
}

function isRule(key: string): boolean {
  return key in RULES;
}

describe("the defaults computed from other fields", () => {
  it("each has its cases checked here", () => {
    const rules = entries.filter(
      ([, e]) =>
        e.by !== "kubernetes" && (!("value" in e) || e.text.includes(" when ") || e.text.includes(", or ")),
    );
    for (const [key] of rules) expect(Object.keys(RULES), `spec.${key}`).toContain(key);
  });

  it.each(Object.keys(RULES))("spec.%s applies as its description says", (key) => {
    expect(Object.keys(DEFAULTS)).toContain(key);
    RULES[key]!();
  });
});
