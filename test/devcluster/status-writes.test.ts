/**
 * Writes of the status subresource keep everything but the status as stored, byte for byte (key order
 * included), whether the request carries the object as read or changes other parts it may not change.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type DevCluster, startDevCluster } from "../../src/devcluster/index.js";
import { call, deployment, NS_DEPLOYMENTS } from "./helpers.js";

/** The object's text without what every write moves (resourceVersion, managedFields) and its status. */
function kept(obj: { metadata: Record<string, unknown>; status?: unknown }): string {
  const { resourceVersion: _rv, managedFields: _mf, ...metadata } = obj.metadata;
  const { status: _s, ...rest } = obj;
  return JSON.stringify({ ...rest, metadata });
}

describe("status writes", () => {
  let c: DevCluster;
  const path = `${NS_DEPLOYMENTS("default")}/status-writes`;
  beforeAll(async () => {
    c = await startDevCluster();
    expect((await call(c, "POST", NS_DEPLOYMENTS("default"), deployment("status-writes"))).status).toBe(201);
  });
  afterAll(async () => {
    await c.stop();
  });

  it("changes only the status when the request is the object as read", async () => {
    const before = (await call(c, "GET", path)).body;
    const r = await call(c, "PUT", `${path}/status`, {
      ...before,
      status: { replicas: 2, readyReplicas: 1 },
    });
    expect(r.status).toBe(200);
    expect(r.body.status).toEqual({ replicas: 2, readyReplicas: 1 });
    expect(kept(r.body)).toBe(kept(before));
    expect(Number(r.body.metadata.resourceVersion)).toBeGreaterThan(Number(before.metadata.resourceVersion));
    const after = (await call(c, "GET", path)).body;
    expect(after).toEqual(r.body);
  });

  it("keeps the stored labels and spec when the request changes them too", async () => {
    const before = (await call(c, "GET", path)).body;
    const r = await call(c, "PUT", `${path}/status`, {
      ...before,
      metadata: { ...before.metadata, labels: { app: "changed" } },
      spec: { ...before.spec, replicas: 9 },
      status: { replicas: 3 },
    });
    expect(r.status).toBe(200);
    expect(r.body.status).toEqual({ replicas: 3 });
    expect(kept(r.body)).toBe(kept(before));
  });

  it("keeps the rest of the object as stored on a status merge patch", async () => {
    const before = (await call(c, "GET", path)).body;
    const r = await call(
      c,
      "PATCH",
      `${path}/status`,
      { status: { observedGeneration: 1 } },
      { contentType: "application/merge-patch+json" },
    );
    expect(r.status).toBe(200);
    expect(r.body.status).toEqual({ ...before.status, observedGeneration: 1 });
    expect(kept(r.body)).toBe(kept(before));
  });

  it("refuses a stale resourceVersion", async () => {
    const before = (await call(c, "GET", path)).body;
    await call(c, "PUT", `${path}/status`, { ...before, status: { replicas: 4 } });
    const stale = await call(c, "PUT", `${path}/status`, { ...before, status: { replicas: 5 } });
    expect(stale.status).toBe(409);
  });
});
