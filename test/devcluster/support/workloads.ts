/** Fixtures and readers shared by the workload controller tests. */
import type { DevCluster } from "../../../src/devcluster/index.js";
import type { JsonObject, KubeObject } from "../../../src/devcluster/types.js";
import { systemContext } from "../../../src/devcluster/writes/operations.js";

export const POD_PORT = 20_000 + Math.floor(Math.random() * 20_000);

export function rollingDeployment(
  name: string,
  opts: {
    replicas?: number;
    image?: string;
    maxSurge?: number | string;
    maxUnavailable?: number | string;
    minReadySeconds?: number;
    progressDeadlineSeconds?: number;
    revisionHistoryLimit?: number;
    strategy?: "RollingUpdate" | "Recreate";
    namespace?: string;
  } = {},
): KubeObject {
  const strategy =
    opts.strategy === "Recreate"
      ? { type: "Recreate" }
      : {
          type: "RollingUpdate",
          rollingUpdate: { maxSurge: opts.maxSurge ?? "25%", maxUnavailable: opts.maxUnavailable ?? "25%" },
        };
  const spec: JsonObject = {
    replicas: opts.replicas ?? 2,
    selector: { matchLabels: { app: name } },
    strategy,
    template: {
      metadata: { labels: { app: name } },
      spec: {
        containers: [
          { name: "app", image: opts.image ?? "example/app:1", ports: [{ containerPort: POD_PORT }] },
        ],
      },
    },
  };
  if (opts.minReadySeconds !== undefined) spec.minReadySeconds = opts.minReadySeconds;
  if (opts.progressDeadlineSeconds !== undefined) spec.progressDeadlineSeconds = opts.progressDeadlineSeconds;
  if (opts.revisionHistoryLimit !== undefined) spec.revisionHistoryLimit = opts.revisionHistoryLimit;
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, namespace: opts.namespace ?? "default" },
    spec,
  };
}

export const list = (c: DevCluster, storageKey: string, namespace = "default") =>
  c.store.list(storageKey, namespace);

export function ownedBy(objects: KubeObject[], owner: KubeObject | undefined): KubeObject[] {
  if (!owner) return [];
  return objects.filter((o) => o.metadata.ownerReferences?.some((r) => r.uid === owner.metadata.uid));
}

export function isReady(pod: KubeObject): boolean {
  const conditions = ((pod.status as JsonObject | undefined)?.conditions ?? []) as JsonObject[];
  return conditions.some((c) => c.type === "Ready" && c.status === "True");
}

export function condition(obj: KubeObject | undefined, type: string): JsonObject | undefined {
  const conditions = ((obj?.status as JsonObject | undefined)?.conditions ?? []) as JsonObject[];
  return conditions.find((c) => c.type === type);
}

export const status = (obj: KubeObject | undefined) => (obj?.status ?? {}) as JsonObject;
export const spec = (obj: KubeObject | undefined) => (obj?.spec ?? {}) as JsonObject;

/** Deletes an object in process as the admin (the way `kubectl delete` would, without waiting). */
export function remove(
  c: DevCluster,
  plural: string,
  namespace: string,
  name: string,
  group = "",
  version = "v1",
): void {
  c.ops.delete(c.registry.find(group, version, plural)!, namespace, name, {}, systemContext("admin", "test"));
}
