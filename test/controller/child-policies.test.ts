/**
 * The per-kind policies (controller/child-policies.ts) for fields the API server refuses to change:
 * a Deployment whose selector must change is recreated; a media claim whose storage class must
 * change is left as it is and the field reported, since recreating it would delete the uploads.
 */
import { describe, expect, it } from "vitest";
import { reconcileHarness } from "./support/reconcile-harness.js";

const app = { image: "registry.example.com/shop:1", module: "shop.wsgi:application" };

describe("a child whose immutable field must change", () => {
  it("a Deployment's selector: deleted and created anew, the rest of the WebApp untouched", async () => {
    const h = reconcileHarness();
    h.webapp("shop", { app, web: {} });
    await h.reconciler.reconcile("store/shop");
    const before = h.get("Deployment", "shop-app");
    // As an older release of the operator could have left it: another selector.
    before.spec.selector = { matchLabels: { app: "shop-old" } };
    before.metadata.resourceVersion = "old";
    h.writes.length = 0;
    await h.reconciler.reconcile("store/shop");
    expect(h.writes.filter((w) => !w.startsWith("status"))).toEqual([
      "delete Deployment/shop-app",
      "apply Deployment/shop-app",
    ]);
    const after = h.get("Deployment", "shop-app");
    expect(after.spec.selector.matchLabels).not.toEqual({ app: "shop-old" });
    expect(after.metadata.uid).not.toBe(before.metadata.uid);
  });

  it("a claim's storage class: refused with the field and why, the claim and its files kept", async () => {
    const h = reconcileHarness();
    h.webapp("shop", { app, web: {}, media: { size: "1Gi", storageClassName: "fast" } });
    await h.reconciler.reconcile("store/shop");
    const claim = h.get("PersistentVolumeClaim", "shop-media");
    expect(claim.spec.storageClassName).toBe("fast");
    h.webapp("shop", { app, web: {}, media: { size: "1Gi", storageClassName: "slow" } });
    h.writes.length = 0;
    await expect(h.reconciler.reconcile("store/shop")).rejects.toThrow(/storageClassName/);
    expect(h.writes).not.toContain("delete PersistentVolumeClaim/shop-media");
    expect(h.writes).not.toContain("apply PersistentVolumeClaim/shop-media");
    expect(h.get("PersistentVolumeClaim", "shop-media").spec.storageClassName).toBe("fast");
    const degraded = h.condition("shop", "Degraded");
    expect(degraded).toMatchObject({ status: "True", reason: "ApplyFailed" });
    expect(degraded.message).toContain(
      "PersistentVolumeClaim shop-media: spec.storageClassName cannot change (a claim's storage class and access modes cannot change, and recreating it would delete its files",
    );
  });
});
