import { describe, expect, it } from "vitest";
import { selectPrunable } from "../../src/controller/ownership.js";
import type { KubeObject } from "../../src/kube/resources.js";

const owner = { name: "shop", uid: "uid-1" };
const ref = (uid: string) => [
  { apiVersion: "webapp-operator.dev/v1alpha1", kind: "WebApp", name: "shop", uid, controller: true },
];

function child(
  kind: string,
  apiVersion: string,
  name: string,
  extra: Partial<KubeObject["metadata"]> = {},
): KubeObject {
  return {
    apiVersion,
    kind,
    metadata: {
      name,
      namespace: "ns",
      labels: { "app.kubernetes.io/instance": "shop", "app.kubernetes.io/managed-by": "webapp-operator" },
      ownerReferences: ref("uid-1"),
      ...extra,
    },
  };
}

describe("selectPrunable", () => {
  const hpa = child("HorizontalPodAutoscaler", "autoscaling/v2", "shop-app");
  const dep = child("Deployment", "apps/v1", "shop-app");

  it("selects owned children that are no longer desired", () => {
    expect(selectPrunable(owner, [hpa, dep], [dep])).toEqual([hpa]);
  });

  it("never selects what this WebApp does not control", () => {
    const otherUid = child("HorizontalPodAutoscaler", "autoscaling/v2", "a", {
      ownerReferences: ref("uid-2"),
    });
    const noRef = child("PersistentVolumeClaim", "v1", "shop-media", { ownerReferences: undefined });
    const otherLabel = child("Service", "v1", "b", { labels: { "app.kubernetes.io/instance": "blog" } });
    const notController = child("Service", "v1", "c", {
      ownerReferences: [{ ...ref("uid-1")[0]!, controller: false }],
    });
    const unknownKind = child("Secret", "v1", "d");
    const deleting = child("Service", "v1", "e", { deletionTimestamp: "2025-01-01T00:00:00Z" });
    expect(
      selectPrunable(owner, [otherUid, noRef, otherLabel, notController, unknownKind, deleting], []),
    ).toEqual([]);
  });
});
