/**
 * The chart's RBAC against a real API server that enforces it (the embedded one, authorization on):
 * - installed the way users do (`helm template | kubectl apply`), the operator started with the
 *   chart Deployment's own arguments, as the chart's service account, runs the whole scenario
 *   (create, image update, spec shrink with pruning, scale, delete) without a single refused
 *   request, and uses every permission the chart grants;
 * - with any one permission taken out of the chart's roles, the operator fails in the way that
 *   permission explains: the rules are necessary, not only sufficient.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { KubeConfig } from "@kubernetes/client-node";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CRD_TYPE, condition, waitFor } from "../../hack/lib/operator-env.js";
import { API_VERSION, KIND, PLURAL } from "../../src/api/index.js";
import { parseRunFlags } from "../../src/cli/commands/run.js";
import { createOperator, WEBAPP_TYPE } from "../../src/controller/webapp-controller.js";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { KubeClient } from "../../src/kube/client.js";
import { isNotFound } from "../../src/kube/errors.js";
import { Kinds, type KubeObject, type ResourceType, resourcePath } from "../../src/kube/resources.js";
import { ALL_CHILD_KINDS, CHILD_KINDS, render } from "../../src/render/index.js";
import { formatMicroTime } from "../../src/runtime/leader.js";
import { ApiLeaseStore, LEASE_NAME } from "../../src/runtime/lease-store.js";
import type { Manager } from "../../src/runtime/manager.js";
import { spawnOperator } from "../controller/support/process.js";
import { findKubectl, Kubectl } from "../devcluster/kubectl-runner.js";
import { validWebApp } from "../fixtures/webapps.js";
import { httpRouteCrd } from "../support/gateway-api.js";
import { findObject, RELEASE_NAMESPACE, renderChart, templateRun } from "./support/helm.js";
import {
  AuthorizationLog,
  type Permission,
  permissionLabel,
  permissionsOf,
  withoutPermission,
} from "./support/permissions.js";
import { groupOf } from "./support/rbac.js";

const SERVICE_ACCOUNT = "webapp-operator";
const OPERATOR_USER = `system:serviceaccount:${RELEASE_NAMESPACE}:${SERVICE_ACCOUNT}`;
const NAMESPACES: ResourceType = { apiVersion: "v1", kind: "Namespace", plural: "namespaces" };
const silent = pino({ level: "silent" });

const chart = renderChart();
const operatorRole = findObject(chart, "ClusterRole", "webapp-operator")!;
const leaseRole = findObject(chart, "Role", "webapp-operator-leader-election")!;
const chartPermissions = [...permissionsOf(operatorRole), ...permissionsOf(leaseRole)];

const image = (tag: string) => `registry.example.com/shop:${tag}`;
/** Every child kind the operator renders, so every child permission is exercised. */
const FULL_SPEC = {
  app: {
    image: image("1.0.0"),
    module: "shop.wsgi:application",
    autoscaling: { minReplicas: 2, maxReplicas: 4 },
    migrate: { command: ["python", "manage.py", "migrate"] },
  },
  web: { replicas: 2 },
  static: { fromImage: { path: "/app/static" } },
  media: { size: "1Gi", keepOnDelete: false },
  ingress: { host: "shop.example.com" },
  workers: [{ name: "celery", command: ["celery", "worker"] }],
  cronJobs: [{ name: "report", schedule: "@daily", command: ["python", "manage.py", "report"] }],
};
/** FULL_SPEC published through a Gateway API route instead of the Ingress (the two exclude each other). */
const ROUTE_SPEC = {
  ...FULL_SPEC,
  ingress: undefined,
  httpRoute: { parentRefs: [{ name: "public", namespace: "infra" }], hostnames: ["shop.example.com"] },
};
/** The app tier alone: every other child of FULL_SPEC and ROUTE_SPEC must be pruned. */
const SMALL_SPEC = { app: { image: image("1.0.1"), module: "shop.wsgi:application", replicas: 1 } };
/** One child of each kind that SMALL_SPEC prunes. */
const PRUNED: Record<string, string> = {
  ConfigMap: "shop-nginx",
  Service: "shop-app",
  PersistentVolumeClaim: "shop-media",
  Deployment: "shop-web",
  HorizontalPodAutoscaler: "shop-app",
  PodDisruptionBudget: "shop-web",
  NetworkPolicy: "shop-app",
  Ingress: "shop",
  HTTPRoute: "shop",
  // Without a migration in the spec, the migration Jobs go too.
  Job: `shop-migrate-${render(validWebApp(FULL_SPEC)).appVersion}`,
  CronJob: "shop-cron-report",
};
/** The Lease held by a leader that is going away: the operator waits for it, watching the Lease. */
async function holdLease(): Promise<void> {
  await admin.delete(Kinds.Lease, RELEASE_NAMESPACE, LEASE_NAME).catch((err) => {
    if (!isNotFound(err)) throw err;
  });
  const now = formatMicroTime(Date.now());
  await new ApiLeaseStore(admin, RELEASE_NAMESPACE).create({
    holderIdentity: "previous-leader",
    leaseDurationSeconds: 60,
    acquireTime: now,
    renewTime: now,
    leaseTransitions: 0,
  });
}

/** The previous leader gives the Lease up (as on SIGTERM). */
async function releaseLease(): Promise<void> {
  const store = new ApiLeaseStore(admin, RELEASE_NAMESPACE);
  const current = await store.get();
  await store.update(current!.version, { ...current!.record, holderIdentity: "", leaseDurationSeconds: 1 });
}

/** The spec whose children exercise a permission: route permissions need a route. */
const specFor = (p: Permission) => (p.resource === CHILD_KINDS.HTTPRoute.plural ? ROUTE_SPEC : FULL_SPEC);

let dc: DevCluster;
let admin: KubeClient;
let log: AuthorizationLog;
let kubectl: Kubectl;
let operatorKubeconfig: string;

beforeAll(async () => {
  const bin = findKubectl();
  if (!bin) throw new Error("kubectl 1.35 is needed to install the chart (./hack/kube-tools.sh)");
  dc = await startDevCluster({ authorization: true, simulateWorkloads: { readyDelayMs: 50 } });
  log = new AuthorizationLog(dc.authorizer, OPERATOR_USER);
  kubectl = new Kubectl(bin, dc);
  operatorKubeconfig = join(kubectl.home, "operator-kubeconfig");
  writeFileSync(operatorKubeconfig, dc.kubeconfig(OPERATOR_USER), { mode: 0o600 });
  const adminConfig = new KubeConfig();
  adminConfig.loadFromString(dc.kubeconfig("admin"));
  admin = new KubeClient(adminConfig, undefined, "chart-test-admin");

  // helm template | kubectl apply: the chart's objects exactly as rendered.
  await kubectl.ok(["create", "namespace", RELEASE_NAMESPACE]);
  const rendered = templateRun();
  expect(rendered.status, rendered.stderr).toBe(0);
  await kubectl.ok(["apply", "-f", "-"], { input: rendered.stdout });
  await waitFor(() => admin.list(WEBAPP_TYPE, undefined).then(() => true), { message: "WebApp API served" });
  // The Gateway API's published HTTPRoute CRD, so the route permissions are used (and needed).
  await admin.create(CRD_TYPE, undefined, httpRouteCrd());
  await waitFor(() => admin.list(CHILD_KINDS.HTTPRoute, undefined).then(() => true), {
    message: "HTTPRoute API served",
  });
}, 120_000);

afterAll(async () => {
  admin?.close();
  await dc?.stop();
});

async function createNamespace(name: string): Promise<void> {
  await admin.create(NAMESPACES, undefined, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
}

function webapp(ns: string, spec: object): KubeObject {
  return { apiVersion: API_VERSION, kind: KIND, metadata: { name: "shop", namespace: ns }, spec };
}

function getWebApp(ns: string): Promise<KubeObject> {
  return admin.get(WEBAPP_TYPE, ns, "shop");
}

function replaceSpec(ns: string, spec: object): Promise<KubeObject> {
  return admin.transport.request("PATCH", resourcePath(WEBAPP_TYPE, ns, "shop"), {
    body: [{ op: "replace", path: "/spec", value: spec }],
    contentType: "application/json-patch+json",
  });
}

function waitReady(ns: string, generation: number, timeoutMs = 20_000): Promise<KubeObject> {
  return waitFor(
    async () => {
      const wa = await getWebApp(ns);
      const observed = (wa.status as { observedGeneration?: number } | undefined)?.observedGeneration;
      return wa.metadata.generation === generation &&
        observed === generation &&
        condition(wa, "Ready")?.status === "True"
        ? wa
        : undefined;
    },
    { timeoutMs, message: `${ns}/shop Ready for generation ${generation}` },
  );
}

async function exists(type: ResourceType, ns: string, name: string): Promise<boolean> {
  return admin.get(type, ns, name).then(
    () => true,
    (err) => {
      if (isNotFound(err)) return false;
      throw err;
    },
  );
}

function kindType(kind: string): ResourceType {
  const type = ALL_CHILD_KINDS.find((k) => k.kind === kind);
  if (!type) throw new Error(`${kind} is not a child kind`);
  return type;
}

async function operatorEvents(ns: string): Promise<KubeObject[]> {
  const { items } = await admin.list(Kinds.Event, ns);
  return items.filter((e) => e.reportingComponent === "webapp-operator");
}

describe("the chart's RBAC is sufficient", () => {
  it("installs: service account, roles and bindings, the CRD, the operator Deployment", async () => {
    for (const obj of chart) {
      const ns = obj.metadata.namespace;
      await kubectl.ok(["get", obj.kind.toLowerCase(), obj.metadata.name, ...(ns ? ["-n", ns] : [])]);
    }
  });

  it("runs the operator scenario with the chart's own arguments and never gets a request refused", async () => {
    const deployment = findObject(chart, "Deployment")!;
    const chartArgs: string[] = deployment.spec.template.spec.containers[0].args;
    expect(chartArgs[0]).toBe("run");
    // The bind addresses are the pod's ports; here the test process picks free local ones.
    const args = chartArgs.slice(1).filter((a) => !/^--(metrics|health-probe)-bind-address=/.test(a));
    expect(parseRunFlags(args).get("leader-election-namespace")).toBe(RELEASE_NAMESPACE);
    log.clear();
    await holdLease();
    const operator = await spawnOperator([...args, `--kubeconfig=${operatorKubeconfig}`]);
    try {
      // The standby watches the held Lease and takes it as soon as it is gone (it creates it anew).
      const watchLease = permissionsOf(leaseRole).find((p) => p.verb === "watch")!;
      await waitFor(() => log.matching(watchLease, true).length > 0, { message: "the Lease watched" });
      await admin.delete(Kinds.Lease, RELEASE_NAMESPACE, LEASE_NAME);
      await createNamespace("shop");
      await admin.create(WEBAPP_TYPE, "shop", webapp("shop", FULL_SPEC));
      await waitReady("shop", 1, 30_000);
      for (const [kind, name] of Object.entries(PRUNED)) {
        expect(await exists(kindType(kind), "shop", name), `${kind} ${name}`).toBe(kind !== "HTTPRoute");
      }

      // A new image, published through a route instead of the Ingress.
      await replaceSpec("shop", { ...ROUTE_SPEC, app: { ...FULL_SPEC.app, image: image("1.0.1") } });
      await waitReady("shop", 2);
      const appDeployment = await admin.get(CHILD_KINDS.Deployment, "shop", "shop-app");
      expect(JSON.stringify(appDeployment.spec)).toContain(image("1.0.1"));
      await waitFor(async () => !(await exists(CHILD_KINDS.Ingress, "shop", "shop")), {
        message: "the Ingress pruned",
      });
      expect(await exists(CHILD_KINDS.HTTPRoute, "shop", "shop"), "the route created").toBe(true);

      await replaceSpec("shop", SMALL_SPEC);
      await waitReady("shop", 3);
      await waitFor(
        async () => {
          for (const [kind, name] of Object.entries(PRUNED))
            if (await exists(kindType(kind), "shop", name)) return false;
          return true;
        },
        { message: "every child SMALL_SPEC no longer has pruned" },
      );

      // kubectl scale webapp/shop --replicas=3, through the scale subresource.
      await kubectl.ok(["scale", "webapp/shop", "-n", "shop", "--replicas=3"]);
      await waitReady("shop", 4);
      await waitFor(
        async () => {
          const d = await admin.get(CHILD_KINDS.Deployment, "shop", "shop-app");
          return (d.spec as { replicas?: number }).replicas === 3;
        },
        { message: "app Deployment scaled to 3" },
      );

      // The same refusal three times (one no retry fixes, so it is reported at once): one Event,
      // its count patched.
      const fault = dc.faults.add({
        verb: "patch",
        resource: "deployments",
        count: 3,
        respond: { status: 422 },
      });
      await kubectl.ok(["scale", "webapp/shop", "-n", "shop", "--replicas=2"]);
      await waitReady("shop", 5);
      fault.cancel();
      const repeated = (await operatorEvents("shop")).filter((e) => e.reason === "ApplyFailed");
      expect(repeated.map((e) => e.count)).toEqual([3]);

      expect((await operatorEvents("shop")).map((e) => e.reason)).toEqual(
        expect.arrayContaining(["Ready", "Deleted"]),
      );

      await admin.delete(WEBAPP_TYPE, "shop", "shop");
      await waitFor(async () => !(await exists(CHILD_KINDS.Deployment, "shop", "shop-app")), {
        message: "children garbage-collected with the WebApp",
      });
    } finally {
      operator.child.kill("SIGTERM");
    }
    expect(await operator.exited, operator.output()).toBe(0);
    const lease = await admin.get(Kinds.Lease, RELEASE_NAMESPACE, LEASE_NAME);
    expect((lease.spec as { holderIdentity?: string }).holderIdentity, "lease released on SIGTERM").toBe("");

    expect(log.denied(), "requests refused to the operator").toEqual([]);
    const unused = chartPermissions.filter((p) => log.matching(p, true).length === 0).map(permissionLabel);
    expect(unused, "permissions the chart grants that the operator never used").toEqual([]);
  }, 120_000);
});

describe("the chart's RBAC in namespaced mode", () => {
  it("runs the operator on Roles in its watched namespace only, and leaves other namespaces alone", async () => {
    const release = { release: "scoped", namespace: "scoped-system" };
    const set = ["watchNamespaces={team-a}", "crds.enabled=false"];
    const objects = renderChart({ ...release, set });
    expect(objects.filter((o) => o.kind === "ClusterRoleBinding")).toEqual([]);
    const user = "system:serviceaccount:scoped-system:scoped-webapp-operator";
    const scopedLog = new AuthorizationLog(dc.authorizer, user);
    const kubeconfig = join(kubectl.home, "scoped-kubeconfig");
    writeFileSync(kubeconfig, dc.kubeconfig(user), { mode: 0o600 });
    for (const ns of ["scoped-system", "team-a", "team-b"]) await createNamespace(ns);
    const rendered = templateRun({ ...release, set });
    expect(rendered.status, rendered.stderr).toBe(0);
    await kubectl.ok(["apply", "-f", "-"], { input: rendered.stdout });

    const deployment = findObject(objects, "Deployment")!;
    const args = (deployment.spec.template.spec.containers[0].args as string[])
      .slice(1)
      .filter((a) => !/^--(metrics|health-probe)-bind-address=/.test(a));
    expect(args).toContain("--namespaces=team-a");
    const operator = await spawnOperator([...args, `--kubeconfig=${kubeconfig}`]);
    try {
      await admin.create(WEBAPP_TYPE, "team-a", webapp("team-a", SMALL_SPEC));
      await admin.create(WEBAPP_TYPE, "team-b", webapp("team-b", SMALL_SPEC));
      await waitReady("team-a", 1, 30_000);
      expect((await getWebApp("team-b")).status, "team-b is not watched").toBeUndefined();
      expect(await exists(CHILD_KINDS.Deployment, "team-b", "shop-app")).toBe(false);
    } finally {
      operator.child.kill("SIGTERM");
    }
    expect(await operator.exited, operator.output()).toBe(0);
    expect(scopedLog.denied(), "requests refused to the namespaced operator").toEqual([]);
    expect(
      scopedLog.decisions.every((d) => d.namespace === "team-a" || d.namespace === "scoped-system"),
    ).toBe(true);
    for (const ns of ["team-a", "team-b"]) await admin.delete(WEBAPP_TYPE, ns, "shop");
  }, 120_000);
});

/** What goes wrong without one permission, checked on a fresh operator in a fresh namespace. */
interface Case {
  ns: string;
  manager: Manager;
  permission: Permission;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function refused(c: Case): Promise<true> {
  return waitFor(() => log.matching(c.permission, false).length > 0, {
    timeoutMs: 15_000,
    message: `the server to refuse ${permissionLabel(c.permission)}`,
  });
}

function informerRestarts(manager: Manager, kind: string): number {
  return manager.informerStats()[`${kind}|*`]?.restarts ?? 0;
}

const kindOfResource = (p: Permission): string =>
  p.resource === PLURAL
    ? KIND
    : ([...ALL_CHILD_KINDS, Kinds.Pod].find(
        (k) => k.plural === p.resource && groupOf(k.apiVersion) === p.apiGroup,
      )?.kind ?? "?");

/** Nothing can happen: the operator never starts working. */
async function expectIdle(c: Case, why: () => boolean): Promise<void> {
  await refused(c);
  await sleep(1_000);
  expect(why()).toBe(true);
  expect((await getWebApp(c.ns)).status, "no status: nothing was reconciled").toBeUndefined();
}

async function expectFailure(c: Case): Promise<void> {
  const p = c.permission;
  if (p.resource === "leases") {
    if (p.verb === "watch") {
      // The watch only shortens a handover: without it the release is found on the next attempt.
      await refused(c);
      await releaseLease();
      await waitFor(() => c.manager.isLeader, { message: "leader all the same", timeoutMs: 10_000 });
      return;
    }
    if (p.verb === "update") {
      // Taking the free Lease needs only create; keeping it (renewing) needs update.
      expect(await c.manager.done).toBe("lost-leadership");
      const lease = await admin.get(Kinds.Lease, RELEASE_NAMESPACE, LEASE_NAME);
      expect((lease.spec as { holderIdentity?: string }).holderIdentity).toBe(c.manager.identity);
      await refused(c);
      return;
    }
    return expectIdle(c, () => !c.manager.isLeader);
  }
  if (p.resource === "events" && p.verb === "create") {
    await waitReady(c.ns, 1);
    await refused(c);
    expect(await operatorEvents(c.ns), "no Events recorded").toEqual([]);
    return;
  }
  if (p.resource === "events" && p.verb === "patch") {
    // A repeated event (the same failure again) is counted on its Event with a patch.
    await waitReady(c.ns, 1);
    const fault = dc.faults.add({
      verb: "patch",
      resource: "configmaps",
      count: 3,
      respond: { status: 422 },
    });
    await replaceSpec(c.ns, { ...FULL_SPEC, web: { replicas: 2, clientMaxBodySize: "20m" } });
    await refused(c);
    fault.cancel();
    const repeated = (await operatorEvents(c.ns)).filter((e) => e.reason === "ApplyFailed");
    expect(repeated.length, "the failure was recorded").toBeGreaterThan(0);
    expect(
      repeated.every((e) => e.count === 1),
      "counts never rise without patch",
    ).toBe(true);
    return;
  }
  if (p.resource === `${PLURAL}/status`) {
    await refused(c);
    await waitFor(() => c.manager.stats.errors > 0, { message: "a failed reconcile" });
    // Children are applied all the same (the app's after its migration, on a later retry).
    await waitFor(() => exists(CHILD_KINDS.Deployment, c.ns, "shop-app"), { message: "children applied" });
    expect((await getWebApp(c.ns)).status, "but no status").toBeUndefined();
    return;
  }
  const kind = kindOfResource(p);
  switch (p.verb) {
    case "list":
      return expectIdle(c, () => !c.manager.cachesSynced);
    case "watch":
      // The cache then only catches up by relisting after each failed watch, backing off to 30 s.
      await refused(c);
      await waitFor(() => informerRestarts(c.manager, kind) > 0, { message: `the ${kind} informer failing` });
      return;
    case "patch": {
      const wa = await waitFor(
        async () => {
          const w = await getWebApp(c.ns);
          return condition(w, "Degraded")?.reason === "ApplyFailed" ? w : undefined;
        },
        { timeoutMs: 15_000, message: "Degraded=True ApplyFailed" },
      );
      expect(condition(wa, "Ready")?.status).toBe("False");
      expect(condition(wa, "Degraded")?.message).toContain(`${kind} `);
      await refused(c);
      return;
    }
    case "delete": {
      await waitReady(c.ns, 1);
      await replaceSpec(c.ns, SMALL_SPEC);
      await refused(c);
      await sleep(500);
      expect(await exists(kindType(kind), c.ns, PRUNED[kind]!), `${kind} ${PRUNED[kind]} left behind`).toBe(
        true,
      );
      // A failed prune is reported in status, like a failed apply.
      const wa = await waitFor(
        async () => {
          const w = await getWebApp(c.ns);
          return condition(w, "Degraded")?.reason === "ApplyFailed" ? w : undefined;
        },
        { timeoutMs: 15_000, message: "Degraded=True ApplyFailed naming the child left behind" },
      );
      expect(condition(wa, "Degraded")?.message).toContain(`${kind} ${PRUNED[kind]}: could not delete`);
      expect(condition(wa, "Ready")?.status).toBe("False");
      return;
    }
  }
  throw new Error(`no expectation for ${permissionLabel(p)}`);
}

describe("every permission of the chart's RBAC is necessary", () => {
  it("covers every permission the chart grants the operator", () => {
    expect(chartPermissions.length).toBe(7 + 4 * ALL_CHILD_KINDS.length + 4);
  });

  it.each(chartPermissions.map((p, i): [string, Permission, number] => [permissionLabel(p), p, i]))(
    "without %s the operator fails",
    async (_label, permission, i) => {
      const role = permission.roleKind === "Role" ? leaseRole : operatorRole;
      dc.apply(withoutPermission(role, permission) as KubeObject);
      const ns = `without-${i}`;
      if (permission.resource === "leases" && permission.verb === "watch") await holdLease();
      else
        await admin.delete(Kinds.Lease, RELEASE_NAMESPACE, LEASE_NAME).catch((err) => {
          if (!isNotFound(err)) throw err;
        });
      await createNamespace(ns);
      await admin.create(WEBAPP_TYPE, ns, webapp(ns, specFor(permission)));
      log.clear();
      const kubeConfig = new KubeConfig();
      kubeConfig.loadFromString(dc.kubeconfig(OPERATOR_USER));
      const manager = createOperator({
        kubeConfig,
        logger: silent,
        concurrency: 2,
        metricsBindAddress: "0",
        healthProbeBindAddress: "0",
        resyncPeriodMs: 1000,
        stallTimeoutMs: 1500,
        watchTimeoutSeconds: 30,
        gracefulShutdownMs: 2000,
        leaderElection: {
          namespace: RELEASE_NAMESPACE,
          leaseDurationMs: 3000,
          renewDeadlineMs: 1000,
          retryPeriodMs: 200,
        },
      });
      try {
        await manager.start();
        await expectFailure({ ns, manager, permission });
      } finally {
        await manager.stop();
        dc.apply(role as KubeObject);
        await admin.delete(WEBAPP_TYPE, ns, "shop").catch(() => undefined);
      }
    },
    40_000,
  );
});
