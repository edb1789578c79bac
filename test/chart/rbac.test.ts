/**
 * The chart's RBAC, read statically: least privilege by construction (no wildcards, no Secrets, no
 * CRD writes, webapps / status / scale apart), the same rules in cluster and namespaced mode, and the
 * kinds matching what the controller's code declares. That the rules are also exactly sufficient and
 * each one necessary is shown against a real API server in rbac-integration.test.ts.
 */
import { describe, expect, it } from "vitest";
import { GROUP } from "../../src/api/index.js";
import { Kinds } from "../../src/kube/resources.js";
import { ALL_CHILD_KINDS } from "../../src/render/index.js";
import { LEASE_NAME } from "../../src/runtime/lease-store.js";
import {
  findObject,
  type Manifest,
  objectsOfKind,
  RELEASE_NAMESPACE,
  renderChart,
  requireObject,
} from "./support/helm.js";
import { expectedOperatorRules, groupOf, type PolicyRule, ruleKeys } from "./support/rbac.js";

const SA = { kind: "ServiceAccount", name: "webapp-operator", namespace: RELEASE_NAMESPACE };

function rolesOf(objects: Manifest[]): Manifest[] {
  return objects.filter((o) => o.kind === "ClusterRole" || o.kind === "Role");
}

function bindingsOfOperator(objects: Manifest[]): Manifest[] {
  return objects.filter(
    (o) =>
      (o.kind === "ClusterRoleBinding" || o.kind === "RoleBinding") &&
      o.subjects.some(
        (s: typeof SA) => s.kind === SA.kind && s.name === SA.name && s.namespace === SA.namespace,
      ),
  );
}

function rulesOf(role: Manifest): PolicyRule[] {
  return role.rules ?? [];
}

describe.each([
  ["cluster-wide (default)", [] as string[]],
  ["namespaced", ["watchNamespaces={shop,blog}"]],
])("operator RBAC, %s", (_mode, set) => {
  const objects = renderChart({ set });
  const allRules = rolesOf(objects).flatMap(rulesOf);

  it("has no wildcard anywhere", () => {
    for (const rule of allRules) {
      for (const field of ["verbs", "apiGroups", "resources", "resourceNames", "nonResourceURLs"] as const) {
        for (const value of rule[field] ?? []) expect(value, JSON.stringify(rule)).not.toContain("*");
      }
    }
  });

  it("never touches Secrets nor writes CRDs (or any other RBAC)", () => {
    const resources = allRules.flatMap((r) => r.resources ?? []);
    expect(resources).not.toContain("secrets");
    expect(resources).not.toContain("customresourcedefinitions");
    expect(allRules.flatMap((r) => r.apiGroups ?? [])).not.toContain("rbac.authorization.k8s.io");
  });

  it("keeps webapps, webapps/status and webapps/scale in separate rules wherever they are written", () => {
    // Only the read-only view role may list the three together: reading status or scale changes nothing.
    const writers = rolesOf(objects).filter((r) => !r.metadata.name.endsWith("-view"));
    const webappRules = writers.flatMap(rulesOf).filter((r) => r.apiGroups?.includes(GROUP));
    expect(webappRules.length).toBeGreaterThanOrEqual(3);
    for (const rule of webappRules) expect(rule.resources, JSON.stringify(rule)).toHaveLength(1);
  });

  it("grants the operator exactly the rules the controller needs, on WebApps and every child kind", () => {
    const bindings = bindingsOfOperator(objects).filter((b) => !b.metadata.name.endsWith("-leader-election"));
    expect(bindings.length).toBeGreaterThan(0);
    for (const binding of bindings) {
      const role = requireObject(objects, binding.roleRef.kind, binding.roleRef.name);
      expect(ruleKeys(rulesOf(role))).toEqual(ruleKeys(expectedOperatorRules()));
    }
  });

  it("grants the Lease, by name, in the release namespace only", () => {
    const binding = bindingsOfOperator(objects).find((b) => b.metadata.name.endsWith("-leader-election"));
    expect(binding?.kind).toBe("RoleBinding");
    expect(binding?.metadata.namespace).toBe(RELEASE_NAMESPACE);
    const role = requireObject(objects, "Role", binding?.roleRef.name);
    expect(role.metadata.namespace).toBe(RELEASE_NAMESPACE);
    expect(ruleKeys(rulesOf(role))).toEqual(
      ruleKeys([
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        {
          apiGroups: ["coordination.k8s.io"],
          resources: ["leases"],
          resourceNames: [LEASE_NAME],
          verbs: ["get", "watch", "update"],
        },
      ]),
    );
  });
});

describe("namespaced mode", () => {
  const objects = renderChart({ set: ["watchNamespaces={shop,blog}"] });

  it("binds the operator with a Role in each watched namespace and nothing cluster-wide", () => {
    const bindings = bindingsOfOperator(objects);
    expect(bindings.filter((b) => b.kind === "ClusterRoleBinding")).toEqual([]);
    const operatorBindings = bindings.filter((b) => !b.metadata.name.endsWith("-leader-election"));
    expect(operatorBindings.map((b) => b.metadata.namespace).sort()).toEqual(["blog", "shop"]);
    for (const b of operatorBindings) {
      expect(b.roleRef.kind).toBe("Role");
      expect(findObject(objects, "Role", b.roleRef.name)?.metadata.namespace).toBeDefined();
    }
    const roles = objectsOfKind(objects, "Role").filter((r) => !r.metadata.name.endsWith("-leader-election"));
    expect(roles.map((r) => r.metadata.namespace).sort()).toEqual(["blog", "shop"]);
    expect(objectsOfKind(objects, "ClusterRole").map((r) => r.metadata.name)).not.toContain(
      "webapp-operator",
    );
  });

  it("tells the operator to watch only those namespaces", () => {
    const [container] = requireObject(objects, "Deployment").spec.template.spec.containers;
    expect(container.args).toContain("--namespaces=shop,blog");
  });
});

describe("aggregated roles for people", () => {
  const objects = renderChart();
  const view = requireObject(objects, "ClusterRole", "webapp-operator-view");
  const edit = requireObject(objects, "ClusterRole", "webapp-operator-edit");

  it("fold WebApps into the built-in view, edit and admin roles", () => {
    expect(view.metadata.labels).toMatchObject({
      "rbac.authorization.k8s.io/aggregate-to-view": "true",
      "rbac.authorization.k8s.io/aggregate-to-edit": "true",
      "rbac.authorization.k8s.io/aggregate-to-admin": "true",
    });
    expect(edit.metadata.labels).toMatchObject({
      "rbac.authorization.k8s.io/aggregate-to-edit": "true",
      "rbac.authorization.k8s.io/aggregate-to-admin": "true",
    });
    expect(edit.metadata.labels?.["rbac.authorization.k8s.io/aggregate-to-view"]).toBeUndefined();
  });

  it("let viewers read and editors change WebApps and scale them, but never write status", () => {
    expect(ruleKeys(view.rules)).toEqual(
      ruleKeys([
        {
          apiGroups: [GROUP],
          resources: ["webapps", "webapps/status", "webapps/scale"],
          verbs: ["get", "list", "watch"],
        },
      ]),
    );
    const editKeys = ruleKeys(edit.rules);
    expect(editKeys).toContain(`${GROUP}|webapps|create|`);
    expect(editKeys).toContain(`${GROUP}|webapps/scale|patch|`);
    expect(editKeys.filter((k) => k.includes("webapps/status"))).toEqual([]);
  });

  it("are left out with rbac.aggregateToDefaultRoles=false", () => {
    const names = objectsOfKind(
      renderChart({ set: ["rbac.aggregateToDefaultRoles=false"] }),
      "ClusterRole",
    ).map((r) => r.metadata.name);
    expect(names).toEqual(["webapp-operator"]);
  });
});

describe("the expected rules follow the controller's code", () => {
  it("cover every child kind the controller renders and watches, and the Event kind", () => {
    const covered = new Set(ruleKeys(expectedOperatorRules()).map((k) => k.split("|").slice(0, 2).join("|")));
    for (const kind of [...ALL_CHILD_KINDS, Kinds.Event]) {
      expect(covered, kind.kind).toContain(`${groupOf(kind.apiVersion)}|${kind.plural}`);
    }
  });
});
