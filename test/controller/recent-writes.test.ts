import { describe, expect, it } from "vitest";
import type { KubeObject } from "../../src/api/kube-object.js";
import { RecentWrites } from "../../src/controller/recent-writes.js";

const obj = (rv: string): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  metadata: { name: "shop-nginx", namespace: "store", resourceVersion: rv },
});

describe("RecentWrites", () => {
  it("trusts a write over a cache that has not caught up, then the cache", () => {
    const recent = new RecentWrites();
    recent.remember("id", obj("1"), obj("2"));
    expect(recent.fresh("id", obj("1"))?.metadata.resourceVersion).toBe("2");
    expect(recent.fresh("id", obj("2"))?.metadata.resourceVersion).toBe("2");
    expect(recent.size).toBe(0);
  });

  it("tells the echo of a write, and forgets the write once any newer event reached the cache", () => {
    const recent = new RecentWrites();
    recent.remember("a", obj("1"), obj("2"));
    recent.remember("b", obj("1"), obj("2"));
    expect(recent.isEcho("a", "2")).toBe(true);
    expect(recent.isEcho("b", "3")).toBe(false); // someone else's change after ours
    // Nothing is kept for objects whose events arrived: at a thousand WebApps that is thousands of objects.
    expect(recent.size).toBe(0);
  });

  it("drops writes past their time to live, even when nothing asks for them again", () => {
    let now = 0;
    const recent = new RecentWrites(1000, 10_000, () => now);
    for (let i = 0; i < 50; i++) recent.remember(`old-${i}`, undefined, obj("2"));
    now = 5000;
    for (let i = 0; i < 200; i++) recent.remember(`new-${i}`, undefined, obj("2"));
    expect(recent.size).toBe(200);
  });
});
