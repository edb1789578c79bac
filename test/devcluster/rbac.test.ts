/** RBAC authorization from stored Roles, ClusterRoles (with aggregation) and bindings. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, NS_CONFIGMAPS, NS_DEPLOYMENTS } from "./helpers.js";

const RBAC = "/apis/rbac.authorization.k8s.io/v1";

describe("RBAC authorization", () => {
  let c: DevCluster;
  beforeAll(async () => {
    c = await startDevCluster({ authorization: true });
    const admin = { user: "admin" };
    await call(
      c,
      "POST",
      `${RBAC}/clusterroles`,
      {
        metadata: { name: "operator" },
        aggregationRule: {
          clusterRoleSelectors: [{ matchLabels: { "example.com/aggregate-to-operator": "true" } }],
        },
      },
      admin,
    );
    await call(
      c,
      "POST",
      `${RBAC}/clusterroles`,
      {
        metadata: { name: "operator-deployments", labels: { "example.com/aggregate-to-operator": "true" } },
        rules: [
          { apiGroups: ["apps"], resources: ["deployments"], verbs: ["get", "list", "watch", "patch"] },
          { apiGroups: ["apps"], resources: ["deployments/status"], verbs: ["get"] },
        ],
      },
      admin,
    );
    await call(
      c,
      "POST",
      `${RBAC}/clusterrolebindings`,
      {
        metadata: { name: "operator" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "operator" },
        subjects: [{ kind: "ServiceAccount", name: "op", namespace: "system" }],
      },
      admin,
    );
    await call(
      c,
      "POST",
      `${RBAC}/namespaces/default/roles`,
      {
        metadata: { name: "one-cm" },
        rules: [{ apiGroups: [""], resources: ["configmaps"], resourceNames: ["allowed"], verbs: ["get"] }],
      },
      admin,
    );
    await call(
      c,
      "POST",
      `${RBAC}/namespaces/default/rolebindings`,
      {
        metadata: { name: "one-cm" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "one-cm" },
        subjects: [{ kind: "ServiceAccount", name: "op", namespace: "system" }],
      },
      admin,
    );
  });
  afterAll(async () => {
    await c.stop();
  });

  const sa = { user: "system:serviceaccount:system:op" };

  it("refuses requests without credentials", async () => {
    expect((await call(c, "GET", NS_CONFIGMAPS("default"))).status).toBe(401);
  });

  it("allows what aggregated cluster roles grant, everywhere", async () => {
    expect((await call(c, "GET", NS_DEPLOYMENTS("default"), undefined, sa)).status).toBe(200);
    expect((await call(c, "GET", "/apis/apps/v1/deployments", undefined, sa)).status).toBe(200);
  });

  it("refuses the rest with the real message", async () => {
    const r = await call(c, "POST", NS_DEPLOYMENTS("default"), {}, sa);
    expect(r.status).toBe(403);
    expect(r.body.message).toBe(
      'deployments.apps is forbidden: User "system:serviceaccount:system:op" cannot create resource "deployments" in API group "apps" in the namespace "default"',
    );
    const sub = await call(c, "PUT", `${NS_DEPLOYMENTS("default")}/x/status`, {}, sa);
    expect(sub.status).toBe(403);
    expect(sub.body.message).toContain('cannot update resource "deployments/status"');
  });

  it("honours resourceNames and namespaces of RoleBindings", async () => {
    expect((await call(c, "GET", `${NS_CONFIGMAPS("default")}/allowed`, undefined, sa)).status).toBe(404);
    expect((await call(c, "GET", `${NS_CONFIGMAPS("default")}/other`, undefined, sa)).status).toBe(403);
    expect((await call(c, "GET", NS_CONFIGMAPS("default"), undefined, sa)).status).toBe(403);
    expect((await call(c, "GET", `${NS_CONFIGMAPS("kube-system")}/allowed`, undefined, sa)).status).toBe(403);
  });

  it("names the object of a list or watch by its metadata.name field selector, for resourceNames", async () => {
    const admin = { user: "admin" };
    await call(
      c,
      "POST",
      `${RBAC}/namespaces/default/roles`,
      {
        metadata: { name: "watch-one-cm" },
        rules: [
          {
            apiGroups: [""],
            resources: ["configmaps"],
            resourceNames: ["allowed"],
            verbs: ["list", "watch"],
          },
        ],
      },
      admin,
    );
    await call(
      c,
      "POST",
      `${RBAC}/namespaces/default/rolebindings`,
      {
        metadata: { name: "watch-one-cm" },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: "watch-one-cm" },
        subjects: [{ kind: "ServiceAccount", name: "op", namespace: "system" }],
      },
      admin,
    );
    const list = (selector: string, extra = "") =>
      call(
        c,
        "GET",
        `${NS_CONFIGMAPS("default")}?fieldSelector=${encodeURIComponent(selector)}${extra}`,
        undefined,
        sa,
      );
    expect((await list("metadata.name=allowed")).status).toBe(200);
    expect((await list("metadata.name=allowed", "&watch=true&timeoutSeconds=1")).status).toBe(200);
    expect((await list("metadata.name=other")).status).toBe(403);
    expect((await list("metadata.namespace=default")).status).toBe(403);
  });

  it("lets every authenticated user read discovery and review its own access", async () => {
    expect((await call(c, "GET", "/apis", undefined, { user: "nobody" })).status).toBe(200);
    const review = await call(
      c,
      "POST",
      "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews",
      {
        spec: {
          resourceAttributes: { verb: "patch", group: "apps", resource: "deployments", namespace: "x" },
        },
      },
      sa,
    );
    expect(review.status).toBe(201);
    expect(review.body.status.allowed).toBe(true);
  });

  it("allows admin everything (system:masters) and impersonation by admin only", async () => {
    expect(
      (
        await call(c, "DELETE", `${RBAC}/clusterroles/operator-deployments`, undefined, {
          user: "admin",
          headers: { "Impersonate-User": "system:serviceaccount:system:op" },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await call(c, "GET", NS_DEPLOYMENTS("default"), undefined, {
          user: "nobody",
          headers: { "Impersonate-User": "admin" },
        })
      ).status,
    ).toBe(403);
    expect(
      (await call(c, "DELETE", `${RBAC}/clusterroles/operator-deployments`, undefined, { user: "admin" }))
        .status,
    ).toBe(200);
    expect((await call(c, "GET", NS_DEPLOYMENTS("default"), undefined, sa)).status).toBe(403);
  });
});
