/** The leader Lease against the embedded API server: MicroTime strings, optimistic concurrency, release. */
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespace, type Env, startEnv } from "../../hack/lib/operator-env.js";
import { KubeApiError } from "../../src/kube/errors.js";
import { Kinds } from "../../src/kube/resources.js";
import { LeaderElector } from "../../src/runtime/leader.js";
import { ApiLeaseStore, LEASE_NAME } from "../../src/runtime/lease-store.js";

let env: Env;
beforeAll(async () => {
  env = await startEnv();
  await createNamespace(env, "lease");
});
afterAll(() => env?.stop());

const log = pino({ level: "silent" });
const timing = { leaseDurationMs: 15_000, renewDeadlineMs: 10_000, retryPeriodMs: 2_000 };

describe("leader Lease", () => {
  it("a Date serialised as JSON (milliseconds) is rejected with 400; our MicroTime strings are accepted", async () => {
    const err = await env.client
      .create(Kinds.Lease, "lease", {
        apiVersion: "coordination.k8s.io/v1",
        kind: "Lease",
        metadata: { name: "date-lease", namespace: "lease" },
        spec: { holderIdentity: "x", renewTime: new Date() },
      })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).code).toBe(400);

    const a = new LeaderElector(new ApiLeaseStore(env.client, "lease"), { identity: "a", ...timing }, log);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    expect(await a.tryAcquireOrRenew()).toBe(true);
    const lease = await env.client.get(Kinds.Lease, "lease", LEASE_NAME);
    expect(lease.spec).toMatchObject({ holderIdentity: "a", leaseDurationSeconds: 15, leaseTransitions: 0 });
    expect((lease.spec as { renewTime: string }).renewTime).toMatch(/\.\d{6}Z$/);
  });

  it("a second candidate neither takes a held lease nor overwrites it, and takes it once released", async () => {
    const store = new ApiLeaseStore(env.client, "lease");
    const b = new LeaderElector(store, { identity: "b", ...timing }, log);
    expect(await b.tryAcquireOrRenew()).toBe(false);
    expect((await store.get())?.record.holderIdentity).toBe("a");
    const a = new LeaderElector(store, { identity: "a", ...timing, retryPeriodMs: 10 }, log);
    const stop = new AbortController();
    await a.run(stop.signal, () => stop.abort());
    await a.release();
    expect((await store.get())?.record.holderIdentity).toBe("");
    expect(await b.tryAcquireOrRenew()).toBe(true);
    expect((await store.get())?.record).toMatchObject({ holderIdentity: "b", leaseTransitions: 1 });
  });

  it("a write based on a stale read fails with 409 instead of clobbering", async () => {
    const store = new ApiLeaseStore(env.client, "lease");
    const stale = await store.get();
    await store.update(stale!.version, { ...stale!.record, holderIdentity: "z" });
    const err = await store
      .update(stale!.version, { ...stale!.record, holderIdentity: "c" })
      .catch((e: unknown) => e);
    expect((err as KubeApiError).code).toBe(409);
  });

  it("a candidate's watch follows the one Lease (field selector on its name) and reports its release", async () => {
    const store = new ApiLeaseStore(env.client, "lease", "watched-lease", log);
    const other = new ApiLeaseStore(env.client, "lease", "other-lease", log);
    const held = { holderIdentity: "x", leaseDurationSeconds: 15, leaseTransitions: 0 };
    await store.create(held);
    await other.create(held);
    // The selector reaches the server: a list and a watch of our Lease see nothing of the other one.
    const listed = await env.client.list(Kinds.Lease, "lease", {
      fieldSelector: "metadata.name=watched-lease",
    });
    expect(listed.items.map((l) => l.metadata.name)).toEqual(["watched-lease"]);
    const seen: string[] = [];
    const watch = await env.client.watch(
      Kinds.Lease,
      "lease",
      { resourceVersion: listed.resourceVersion, fieldSelector: "metadata.name=watched-lease" },
      (e) => seen.push(e.object.metadata.name),
    );
    watch.closed.catch(() => {}); // stopped below
    let releases = 0;
    const stop = store.watchReleases(() => releases++);
    try {
      const o = await other.get();
      await other.update(o!.version, { ...o!.record, holderIdentity: "" });
      const renewed = await store.get();
      await store.update(renewed!.version, { ...renewed!.record, renewTime: "2026-01-01T00:00:00.000000Z" });
      const current = await store.get();
      await store.update(current!.version, { ...current!.record, holderIdentity: "" });
      const deadline = Date.now() + 10_000;
      while ((releases === 0 || seen.length < 2) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(seen).toEqual(["watched-lease", "watched-lease"]);
      expect(releases).toBe(1);
    } finally {
      watch.stop();
      await stop();
    }
  });
});
