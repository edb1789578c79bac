import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { webAppCrd } from "../../src/api/crd.js";
import { parseWebApp } from "../../src/api/index.js";
import { parseYamlStream } from "../../src/util/yaml.js";
import { ROOT, VARIATIONS, webappObject } from "../fixtures/webapps.js";
import { celViolations } from "../support/cel-walk.js";

// biome-ignore lint/suspicious/noExplicitAny: walks the generated schema
type Any = any;

const crd: Any = webAppCrd();
const version = crd.spec.versions[0];
const schema = version.schema.openAPIV3Schema;

/** Every schema node with its path, for structural checks. */
function nodes(node: Any, path = "openAPIV3Schema"): [string, Any][] {
  const out: [string, Any][] = [[path, node]];
  for (const [k, v] of Object.entries(node.properties ?? {})) out.push(...nodes(v, `${path}.${k}`));
  if (node.items) out.push(...nodes(node.items, `${path}[]`));
  if (node.additionalProperties && typeof node.additionalProperties === "object") {
    out.push(...nodes(node.additionalProperties, `${path}{}`));
  }
  return out;
}

describe("the generated CRD", () => {
  it("is the file in crds/ (npm run generate keeps them equal)", () => {
    const [fromFile] = parseYamlStream(
      readFileSync(join(ROOT, "crds/webapp-operator.dev_webapps.yaml"), "utf8"),
    );
    expect(fromFile).toEqual(crd);
  });

  it("names: kind, plural, short name wa, a category", () => {
    expect(crd.metadata.name).toBe("webapps.webapp-operator.dev");
    expect(crd.spec.names).toMatchObject({ kind: "WebApp", plural: "webapps", shortNames: ["wa"] });
    expect(crd.spec.names.categories).toContain("webapps");
    expect(crd.spec.scope).toBe("Namespaced");
  });

  it("status and scale subresources; scale targets the app replicas", () => {
    expect(version.subresources).toEqual({
      status: {},
      scale: {
        specReplicasPath: ".spec.app.replicas",
        statusReplicasPath: ".status.replicas",
        labelSelectorPath: ".status.selector",
      },
    });
  });

  it("printer columns: Ready, App, Web, URL, Age", () => {
    const cols = version.additionalPrinterColumns.filter((c: Any) => !c.priority).map((c: Any) => c.name);
    expect(cols).toEqual(["Ready", "App", "Web", "URL", "Age"]);
  });

  it("is structural: every node typed, no defaults, no additionalProperties:false, no bare anyOf", () => {
    for (const [path, node] of nodes(schema)) {
      if (path === "openAPIV3Schema.metadata") continue;
      if (node["x-kubernetes-int-or-string"]) {
        expect(node.anyOf, path).toEqual([{ type: "integer" }, { type: "string" }]);
        continue;
      }
      expect(["object", "array", "string", "integer", "number", "boolean"], `${path} type`).toContain(
        node.type,
      );
      expect(node, path).not.toHaveProperty("default");
      expect(node, path).not.toHaveProperty("anyOf");
      expect(node, path).not.toHaveProperty("oneOf");
      expect(node, path).not.toHaveProperty("$ref");
      expect(node.additionalProperties, path).not.toBe(false);
    }
  });

  it("bounds every string and list under spec", () => {
    for (const [path, node] of nodes(schema.properties.spec, "spec")) {
      if (node.type === "string") expect(node.maxLength ?? node.enum, `${path} is unbounded`).toBeDefined();
      if (node.type === "array") expect(node.maxItems, `${path} is unbounded`).toBeDefined();
      if (node["x-kubernetes-int-or-string"]) expect(node.pattern, `${path} has no pattern`).toBeDefined();
    }
  });

  it("every field under spec and status has a description (kubectl explain)", () => {
    const missing = [...nodes(schema.properties.spec, "spec"), ...nodes(schema.properties.status, "status")]
      .filter(([path, node]) => !path.endsWith("[]") && !path.endsWith("{}") && !node.description)
      .map(([path]) => path);
    expect(missing).toEqual([]);
  });

  it("every CEL rule has a message and only RE2-safe patterns are used", () => {
    let rules = 0;
    for (const [path, node] of nodes(schema)) {
      for (const v of node["x-kubernetes-validations"] ?? []) {
        rules++;
        expect(v.message, `${path}: ${v.rule}`).toMatch(/\w/);
      }
      // RE2 (the API server's regex engine) has no lookaround or backreferences.
      if (node.pattern) expect(node.pattern, path).not.toMatch(/\(\?[=!<]|\\[1-9]/);
    }
    expect(rules).toBeGreaterThanOrEqual(8);
  });
});

describe("the CRD's CEL rules and the zod schema agree", () => {
  const app = { image: "reg.example.com/shop:1", module: "shop.wsgi:app" };
  const crossFieldCases: [string, Record<string, unknown>, string][] = [
    ["no tier", {}, "at least one tier"],
    [
      "command without command",
      { app: { image: app.image, server: "command" } },
      "server: command needs `command`",
    ],
    ["gunicorn without module", { app: { image: app.image } }, "need `module`"],
    [
      "command with gunicorn",
      { app: { ...app, command: ["x"] } },
      "`command` is only used with server: command",
    ],
    [
      "workerClass with uwsgi",
      { app: { ...app, server: "uwsgi", workerClass: "gevent" } },
      "workerClass is a Gunicorn setting",
    ],
    [
      "min > max",
      { app: { ...app, autoscaling: { minReplicas: 5, maxReplicas: 2 } } },
      "minReplicas must be less than or equal",
    ],
    [
      "two static sources",
      { app, web: {}, static: { fromImage: { path: "/a" }, persistentVolumeClaim: { claimName: "c" } } },
      "exactly one static source",
    ],
    ["no static source", { app, web: {}, static: {} }, "exactly one static source"],
    ["static without web", { app, static: { fromImage: { path: "/a" } } }, "static needs web"],
    ["static-only without image", { web: {}, static: { fromImage: { path: "/a" } } }, "static-only site"],
    [
      "media without app",
      { web: {}, static: { persistentVolumeClaim: { claimName: "c" } }, media: { size: "1Gi" } },
      "media needs app",
    ],
    ["media claim and size", { app, media: { size: "1Gi", claimName: "c" } }, "exactly one of size"],
    [
      "static claim and size",
      { app, web: {}, static: { persistentVolumeClaim: { claimName: "c", size: "1Gi" } } },
      "exactly one of claimName",
    ],
    ["media at /", { app, web: {}, media: { size: "1Gi", urlPath: "/" } }, "media cannot be served at /"],
    [
      "media mounted on /tmp",
      { app, media: { size: "1Gi", mountPath: "/tmp" } },
      "media.mountPath cannot be /tmp",
    ],
    [
      "media mounted under /tmp",
      { app, media: { size: "1Gi", mountPath: "/tmp/up" } },
      "media.mountPath cannot be /tmp",
    ],
    [
      "same url paths",
      {
        app,
        web: {},
        static: { urlPath: "/files/", fromImage: { path: "/a" } },
        media: { size: "1Gi", urlPath: "/files/" },
      },
      "different URL paths",
    ],
    [
      "two workers of one name",
      {
        app,
        workers: [
          { name: "celery", command: ["celery", "worker"] },
          { name: "celery", command: ["celery", "beat"] },
        ],
      },
      "each of the workers needs a name of its own",
    ],
    [
      "two scheduled jobs of one name",
      {
        app,
        cronJobs: [
          { name: "report", schedule: "@daily", command: ["report"] },
          { name: "report", schedule: "@hourly", command: ["report"] },
        ],
      },
      "each of the scheduled jobs needs a name of its own",
    ],
    [
      "a singleton with two replicas",
      { app, workers: [{ name: "beat", command: ["celery", "beat"], singleton: true, replicas: 2 }] },
      "a singleton worker runs at most one replica",
    ],
    [
      "an autoscaled singleton",
      {
        app,
        workers: [
          { name: "beat", command: ["celery", "beat"], singleton: true, autoscaling: { maxReplicas: 2 } },
        ],
      },
      "a singleton worker runs at most one replica",
    ],
    [
      "worker replicas beside autoscaling",
      { app, workers: [{ name: "w", command: ["w"], replicas: 2, autoscaling: { maxReplicas: 3 } }] },
      "the autoscaler owns the worker's replica count",
    ],
    [
      "worker autoscaling min > max",
      { app, workers: [{ name: "w", command: ["w"], autoscaling: { minReplicas: 4, maxReplicas: 3 } }] },
      "minReplicas must be less than or equal",
    ],
    [
      "workers without app",
      {
        web: {},
        static: { persistentVolumeClaim: { claimName: "c" } },
        workers: [{ name: "w", command: ["w"] }],
      },
      "workers need app",
    ],
    [
      "scheduled jobs without app",
      {
        web: {},
        static: { persistentVolumeClaim: { claimName: "c" } },
        cronJobs: [{ name: "r", schedule: "@daily", command: ["r"] }],
      },
      "cronJobs need app",
    ],
    [
      "env value and valueFrom",
      {
        app: {
          ...app,
          env: [{ name: "A", value: "x", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } }],
        },
      },
      "either value or valueFrom",
    ],
  ];

  it.each(crossFieldCases)("%s: refused by both, with the same message", (_name, spec, message) => {
    const obj = webappObject(spec);
    const parsed = parseWebApp(obj);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.message).join("\n")).toContain(message);
    expect(celViolations(schema, obj).join("\n")).toContain(message);
  });

  it.each(VARIATIONS)("%s: accepted by both", (_name, spec) => {
    const obj = webappObject(spec);
    expect(parseWebApp(obj).ok).toBe(true);
    expect(celViolations(schema, obj)).toEqual([]);
  });

  it.each([
    ["a schedule with six fields", { schedule: "0 0 3 * * *" }, "five cron fields"],
    ["a schedule with a TZ prefix", { schedule: "TZ=UTC 0 3 * * *" }, "five cron fields"],
    ["an unknown macro", { schedule: "@every 5m" }, "five cron fields"],
    ["a time zone with spaces", { timeZone: "Europe/ Paris" }, "IANA time zone"],
    ["a name with capitals", { name: "Report" }, "lowercase DNS label"],
  ])("a scheduled job with %s is refused by zod and by the CRD's pattern", (_name, change, message) => {
    const valid = { name: "report", schedule: "0 3 * * *", timeZone: "Europe/Paris" };
    const job = { ...valid, command: ["report"], ...change };
    const parsed = parseWebApp(webappObject({ app, cronJobs: [job] }));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.errors.map((e) => e.message).join("\n")).toContain(message);
    const [field, value] = Object.entries(change)[0]!;
    const pattern = new RegExp(schema.properties.spec.properties.cronJobs.items.properties[field].pattern);
    expect(pattern.test(value)).toBe(false);
    expect(pattern.test(valid[field as keyof typeof valid])).toBe(true);
  });

  it("the name rule: DNS-1035 and at most 57 characters", () => {
    for (const name of ["9shop", "a".repeat(58)]) {
      const obj = webappObject({ app }, name);
      expect(parseWebApp(obj).ok, name).toBe(false);
      expect(celViolations(schema, obj).join(), name).toContain("DNS-1035");
    }
    expect(celViolations(schema, webappObject({ app }, "a".repeat(57)))).toEqual([]);
  });
});
