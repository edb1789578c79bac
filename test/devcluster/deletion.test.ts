/** Finalizers, garbage collection by ownerReferences (background, foreground, orphan), namespace deletion. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, deployment, eventually, NS_CONFIGMAPS, NS_DEPLOYMENTS } from "./helpers.js";

describe("deletion", () => {
  let c: DevCluster;
  beforeAll(async () => {
    c = await startDevCluster();
  });
  afterAll(async () => {
    await c.stop();
  });

  const owned = (name: string, owner: { metadata: { name: string; uid: string } }, block = false) => ({
    metadata: {
      name,
      ownerReferences: [
        {
          apiVersion: "apps/v1",
          kind: "Deployment",
          name: owner.metadata.name,
          uid: owner.metadata.uid,
          controller: true,
          ...(block ? { blockOwnerDeletion: true } : {}),
        },
      ],
    },
    data: {},
  });
  const gone = async (path: string) => ((await call(c, "GET", path)).status === 404 ? true : undefined);

  it("keeps an object with finalizers until they are removed", async () => {
    await call(c, "POST", NS_CONFIGMAPS("default"), {
      metadata: { name: "held", finalizers: ["example.com/hold"] },
    });
    const del = await call(c, "DELETE", `${NS_CONFIGMAPS("default")}/held`);
    expect(del.status).toBe(202);
    expect(del.body.metadata.deletionTimestamp).toBeDefined();
    const held = (await call(c, "GET", `${NS_CONFIGMAPS("default")}/held`)).body;
    const add = await call(c, "PUT", `${NS_CONFIGMAPS("default")}/held`, {
      ...held,
      metadata: { ...held.metadata, finalizers: ["example.com/hold", "x.io/new"] },
    });
    expect(add.status).toBe(422);
    expect(add.body.message).toContain("no new finalizers can be added if the object is being deleted");
    const release = await call(
      c,
      "PATCH",
      `${NS_CONFIGMAPS("default")}/held`,
      { metadata: { finalizers: null } },
      { contentType: "application/merge-patch+json" },
    );
    expect(release.status).toBe(200);
    expect(await gone(`${NS_CONFIGMAPS("default")}/held`)).toBe(true);
  });

  it("collects dependents in the background once their owner is gone", async () => {
    const owner = (await call(c, "POST", NS_DEPLOYMENTS("default"), deployment("owner-bg"))).body;
    await call(c, "POST", NS_CONFIGMAPS("default"), owned("dep-bg", owner));
    const del = await call(c, "DELETE", `${NS_DEPLOYMENTS("default")}/owner-bg`);
    expect(del.status).toBe(200);
    expect(del.body).toMatchObject({
      kind: "Status",
      status: "Success",
      details: { name: "owner-bg", group: "apps", kind: "deployments" },
    });
    await eventually(() => gone(`${NS_CONFIGMAPS("default")}/dep-bg`));
  });

  it("deletes dependents first in the foreground, then the owner", async () => {
    const owner = (await call(c, "POST", NS_DEPLOYMENTS("default"), deployment("owner-fg"))).body;
    await call(c, "POST", NS_CONFIGMAPS("default"), {
      ...owned("dep-fg", owner, true),
      metadata: { ...owned("dep-fg", owner, true).metadata, finalizers: ["example.com/slow"] },
    });
    const del = await call(c, "DELETE", `${NS_DEPLOYMENTS("default")}/owner-fg`, {
      propagationPolicy: "Foreground",
    });
    expect(del.status).toBe(202);
    expect(del.body.metadata.finalizers).toEqual(["foregroundDeletion"]);
    const dep = await eventually(async () => {
      const d = (await call(c, "GET", `${NS_CONFIGMAPS("default")}/dep-fg`)).body;
      return d.metadata.deletionTimestamp ? d : undefined;
    });
    expect((await call(c, "GET", `${NS_DEPLOYMENTS("default")}/owner-fg`)).status).toBe(200);
    await call(
      c,
      "PATCH",
      `${NS_CONFIGMAPS("default")}/dep-fg`,
      { metadata: { finalizers: null, resourceVersion: dep.metadata.resourceVersion } },
      { contentType: "application/merge-patch+json" },
    );
    await eventually(() => gone(`${NS_DEPLOYMENTS("default")}/owner-fg`));
  });

  it("orphans dependents when asked", async () => {
    const owner = (await call(c, "POST", NS_DEPLOYMENTS("default"), deployment("owner-or"))).body;
    await call(c, "POST", NS_CONFIGMAPS("default"), owned("dep-or", owner));
    await call(c, "DELETE", `${NS_DEPLOYMENTS("default")}/owner-or?propagationPolicy=Orphan`);
    await eventually(() => gone(`${NS_DEPLOYMENTS("default")}/owner-or`));
    const dep = (await call(c, "GET", `${NS_CONFIGMAPS("default")}/dep-or`)).body;
    expect(dep.metadata.ownerReferences).toBeUndefined();
  });

  it("collects an object created with an owner that does not exist", async () => {
    await call(
      c,
      "POST",
      NS_CONFIGMAPS("default"),
      owned("dangling", { metadata: { name: "ghost", uid: "00000000-0000-0000-0000-000000000000" } }),
    );
    await eventually(() => gone(`${NS_CONFIGMAPS("default")}/dangling`));
  });

  it("empties a terminating namespace, refuses new content, then removes it", async () => {
    await call(c, "POST", "/api/v1/namespaces", { metadata: { name: "doomed" } });
    await call(c, "POST", NS_CONFIGMAPS("doomed"), {
      metadata: { name: "a", finalizers: ["example.com/hold"] },
    });
    await call(c, "POST", NS_DEPLOYMENTS("doomed"), deployment("d"));
    const del = await call(c, "DELETE", "/api/v1/namespaces/doomed");
    expect(del.status).toBe(202);
    expect(del.body.status.phase).toBe("Terminating");
    const refused = await call(c, "POST", NS_CONFIGMAPS("doomed"), { metadata: { name: "b" } });
    expect(refused.status).toBe(403);
    expect(refused.body.message).toBe(
      'configmaps "b" is forbidden: unable to create new content in namespace doomed because it is being terminated',
    );
    await eventually(() => gone(`${NS_DEPLOYMENTS("doomed")}/d`));
    expect((await call(c, "GET", "/api/v1/namespaces/doomed")).status).toBe(200);
    await call(
      c,
      "PATCH",
      `${NS_CONFIGMAPS("doomed")}/a`,
      { metadata: { finalizers: null } },
      { contentType: "application/merge-patch+json" },
    );
    await eventually(() => gone("/api/v1/namespaces/doomed"));
  });
});
