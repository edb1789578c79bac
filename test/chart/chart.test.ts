/**
 * The Helm chart with a real helm 4: lint, render with the default values and every ci/ values file,
 * every object valid against the upstream Kubernetes schemas, and the operator Deployment hardened
 * and started with flags the operator accepts.
 */
import { readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseRunFlags } from "../../src/cli/commands/run.js";
import { parseDuration } from "../../src/runtime/duration.js";
import { validateAgainstKubernetesSchema } from "../support/kube-schemas.js";
import { restrictedViolations } from "../support/pod-security.js";
import {
  CHART,
  ciValuesFiles,
  findObject,
  type Manifest,
  objectsOfKind,
  RELEASE_NAMESPACE,
  renderChart,
  runHelm,
} from "./support/helm.js";

const valueSets: [string, string[]][] = [
  ["default values", []],
  ...ciValuesFiles().map((f): [string, string[]] => [`ci/${basename(f)}`, [f]]),
];

function deploymentOf(objects: Manifest[]): Manifest {
  const deployments = objectsOfKind(objects, "Deployment");
  expect(deployments).toHaveLength(1);
  return deployments[0]!;
}

function matches(selector: Record<string, string>, labels: Record<string, string> | undefined): boolean {
  return Object.entries(selector).every(([k, v]) => labels?.[k] === v);
}

describe("helm lint --strict", () => {
  it("has at least three CI values files besides the defaults", () => {
    expect(ciValuesFiles().length).toBeGreaterThanOrEqual(3);
  });

  it.each(valueSets)("passes with %s", (_name, files) => {
    const run = runHelm(["lint", "--strict", CHART, ...files.flatMap((f) => ["--values", f])]);
    expect(run.status, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain("0 chart(s) failed");
  });
});

describe.each(valueSets)("helm template with %s", (_name, files) => {
  const objects = renderChart({ valuesFiles: files });

  it("renders every object valid against the upstream schema of its kind", () => {
    expect(objects.length).toBeGreaterThan(0);
    for (const obj of objects) {
      expect(() => validateAgainstKubernetesSchema(obj), `${obj.kind} ${obj.metadata.name}`).not.toThrow();
    }
  });

  it("puts every namespaced object in the release namespace or a watched namespace", () => {
    const clusterScoped = new Set(["CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding"]);
    for (const obj of objects) {
      if (clusterScoped.has(obj.kind)) expect(obj.metadata.namespace).toBeUndefined();
      else expect(obj.metadata.namespace, `${obj.kind} ${obj.metadata.name}`).toBeTruthy();
    }
  });

  it("runs the operator pod under the restricted Pod Security Standard, read-only, with resources", () => {
    const pod = deploymentOf(objects).spec.template.spec;
    expect(restrictedViolations(pod)).toEqual([]);
    const [container] = pod.containers;
    expect(container.securityContext.readOnlyRootFilesystem).toBe(true);
    expect(container.resources.requests).toMatchObject({
      cpu: expect.any(String),
      memory: expect.any(String),
    });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
    expect(pod.automountServiceAccountToken).toBe(true);
  });

  it("starts the operator with flags `webapp-operator run` accepts", () => {
    const [container] = deploymentOf(objects).spec.template.spec.containers;
    expect(container.args[0]).toBe("run");
    const flags = parseRunFlags(container.args.slice(1));
    const port = (name: string) =>
      container.ports.find((p: { name: string }) => p.name === name).containerPort;
    expect(flags.get("metrics-bind-address")).toBe(`:${port("metrics")}`);
    expect(flags.get("health-probe-bind-address")).toBe(`:${port("health")}`);
  });

  it("probes /healthz and /readyz on the health port", () => {
    const [container] = deploymentOf(objects).spec.template.spec.containers;
    expect(container.livenessProbe.httpGet).toEqual({ path: "/healthz", port: "health" });
    expect(container.readinessProbe.httpGet).toEqual({ path: "/readyz", port: "health" });
  });

  it("runs several replicas only with leader election in the release namespace", () => {
    const deployment = deploymentOf(objects);
    const flags = parseRunFlags(deployment.spec.template.spec.containers[0].args.slice(1));
    if (deployment.spec.replicas > 1) {
      expect(flags.get("leader-elect")).toBe("true");
      expect(flags.get("leader-election-namespace")).toBe(RELEASE_NAMESPACE);
    }
  });

  it("selects the operator pods from its Services, PDB and ServiceMonitor", () => {
    const deployment = deploymentOf(objects);
    const podLabels = deployment.spec.template.metadata.labels;
    expect(matches(deployment.spec.selector.matchLabels, podLabels)).toBe(true);
    for (const service of objectsOfKind(objects, "Service")) {
      expect(matches(service.spec.selector, podLabels)).toBe(true);
      const ports = deployment.spec.template.spec.containers[0].ports.map((p: { name: string }) => p.name);
      for (const p of service.spec.ports) expect(ports).toContain(p.targetPort);
    }
    for (const pdb of objectsOfKind(objects, "PodDisruptionBudget")) {
      expect(matches(pdb.spec.selector.matchLabels, podLabels)).toBe(true);
    }
    for (const monitor of objectsOfKind(objects, "ServiceMonitor")) {
      const targets = objectsOfKind(objects, "Service").filter((s) =>
        matches(monitor.spec.selector.matchLabels, s.metadata.labels),
      );
      expect(targets).toHaveLength(1);
      expect(targets[0]!.spec.ports.map((p: { name: string }) => p.name)).toContain(
        monitor.spec.endpoints[0].port,
      );
    }
  });
});

describe("the default install", () => {
  const objects = renderChart();

  it("runs 2 replicas with leader election, a PDB keeping one up, and a metrics Service", () => {
    const deployment = deploymentOf(objects);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.strategy.rollingUpdate.maxUnavailable).toBe(0);
    expect(parseRunFlags(deployment.spec.template.spec.containers[0].args.slice(1)).get("leader-elect")).toBe(
      "true",
    );
    expect(findObject(objects, "PodDisruptionBudget")?.spec.minAvailable).toBe(1);
    expect(findObject(objects, "Service")?.spec.ports[0]).toMatchObject({
      port: 8080,
      targetPort: "metrics",
    });
    expect(findObject(objects, "ServiceMonitor")).toBeUndefined();
  });

  it("watches every namespace (no --namespaces flag)", () => {
    const args = deploymentOf(objects).spec.template.spec.containers[0].args;
    expect(parseRunFlags(args.slice(1)).has("namespaces")).toBe(false);
  });
});

describe("optional parts", () => {
  it("renders no PDB for a single replica (it would block every node drain)", () => {
    const objects = renderChart({ set: ["replicaCount=1", "leaderElection.enabled=false"] });
    expect(findObject(objects, "PodDisruptionBudget")).toBeUndefined();
    expect(findObject(objects, "Role")).toBeUndefined();
    const args = deploymentOf(objects).spec.template.spec.containers[0].args;
    expect(parseRunFlags(args.slice(1)).has("leader-elect")).toBe(false);
  });

  it("renders a ServiceMonitor scraping the metrics port when asked", () => {
    const objects = renderChart({
      set: ["metrics.serviceMonitor.enabled=true", "metrics.serviceMonitor.labels.release=prom"],
    });
    const monitor = findObject(objects, "ServiceMonitor");
    expect(monitor?.apiVersion).toBe("monitoring.coreos.com/v1");
    expect(monitor?.metadata.labels?.release).toBe("prom");
    expect(monitor?.spec.endpoints).toEqual([
      { port: "metrics", path: "/metrics", interval: "30s", scrapeTimeout: "10s" },
    ]);
  });

  it("pins the image by digest when one is given", () => {
    const digest = `sha256:${"ab".repeat(32)}`;
    const objects = renderChart({ set: [`image.digest=${digest}`, "image.repository=reg.example.com/op"] });
    expect(deploymentOf(objects).spec.template.spec.containers[0].image).toBe(`reg.example.com/op@${digest}`);
  });
});

describe("NOTES.txt", () => {
  function notes(set: string[] = []): string {
    const run = runHelm([
      "install",
      "shop-ops",
      CHART,
      "-n",
      "ops",
      "--dry-run=client",
      ...set.flatMap((s) => ["--set", s]),
    ]);
    expect(run.status, run.stderr).toBe(0);
    return run.stdout.slice(run.stdout.indexOf("NOTES:"));
  }

  it("says how to check the install, with this release's names", () => {
    const text = notes();
    expect(text).toContain("kubectl -n ops rollout status deployment/shop-ops-webapp-operator");
    expect(text).toContain("kubectl -n ops get lease webapp-operator-leader");
    expect(text).toContain(
      "kubectl auth can-i --list --as=system:serviceaccount:ops:shop-ops-webapp-operator",
    );
    expect(text).toContain("It manages WebApps in every namespace.");
    expect(text).toContain("keeps the CRD");
  });

  it("names the watched namespaces and the missing CRD when the chart does not install it", () => {
    const text = notes(["watchNamespaces={shop,blog}", "crds.enabled=false"]);
    expect(text).toContain("It manages WebApps only in: shop, blog.");
    expect(text).toContain("webapp-operator crd | kubectl apply --server-side -f -");
  });
});

describe("durations", () => {
  const schema = JSON.parse(readFileSync(join(CHART, "values.schema.json"), "utf8"));
  const pattern = new RegExp(schema.definitions.duration.pattern);

  it.each(["500ms", "15s", "10m", "1m30s", "1.5h"])("accepts %s, as `webapp-operator run` does", (d) => {
    expect(pattern.test(d)).toBe(true);
    expect(() => parseDuration(d, "--resync-period")).not.toThrow();
  });

  it.each(["600", "10 minutes", "1d", "m"])("refuses %s, as `webapp-operator run` does", (d) => {
    expect(pattern.test(d)).toBe(false);
    expect(() => parseDuration(d, "--resync-period")).toThrow();
  });
});

describe("values that cannot work are refused with a message naming the field", () => {
  const refused: [string, string[], RegExp][] = [
    ["replicaCount as a string", ["replicaCount=two"], /\/replicaCount.*want integer/],
    ["crds.enabled as a string", ["crds.enabled=yes"], /\/crds\/enabled.*want boolean/],
    ["a port out of range", ["metrics.port=70000"], /\/metrics\/port/],
    ["an unknown log level", ["operator.logLevel=verbose"], /\/operator\/logLevel/],
    [
      "a duration without a unit",
      ["operator.resyncPeriod=10 minutes"],
      /\/operator\/resyncPeriod.*does not match pattern/,
    ],
    ["a namespace that is not a DNS label", ["watchNamespaces[0]=Shop_NS"], /\/watchNamespaces\/0/],
    ["an unknown key (a typo)", ["replicas=3"], /additional properties 'replicas' not allowed/],
    [
      "several replicas without leader election",
      ["leaderElection.enabled=false"],
      /replicaCount above 1 needs leaderElection\.enabled/,
    ],
    [
      "a ServiceMonitor without the metrics Service",
      ["metrics.serviceMonitor.enabled=true", "metrics.service.enabled=false"],
      /serviceMonitor.enabled needs metrics.service.enabled/,
    ],
  ];

  it.each(refused)("%s", (_name, set, message) => {
    const run = runHelm(["template", "x", CHART, ...set.flatMap((s) => ["--set", s])]);
    expect(run.status).not.toBe(0);
    expect(run.stderr).toMatch(message);
  });
});
