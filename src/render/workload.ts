import type { IDeployment } from "kubernetes-models/apps/v1/Deployment";
import type { IPodDisruptionBudget } from "kubernetes-models/policy/v1/PodDisruptionBudget";
import type { IPersistentVolumeClaim } from "kubernetes-models/v1/PersistentVolumeClaim";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IService } from "kubernetes-models/v1/Service";
import type { ChildMeta } from "./context.js";

/** What both tiers' Deployments share: zero-downtime rollouts and a short revision history. */
export function deployment(
  meta: ChildMeta,
  opts: {
    replicas: number | undefined;
    selector: Record<string, string>;
    podLabels: Record<string, string>;
    podAnnotations?: Record<string, string>;
    podSpec: IPodSpec;
    /** Stop every old pod before a new one starts: for processes of which two must never run at once. */
    recreate?: boolean;
  },
): IDeployment {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: meta,
    spec: {
      // Left out while an autoscaler owns the count: writing it would fight the HPA.
      ...(opts.replicas !== undefined ? { replicas: opts.replicas } : {}),
      revisionHistoryLimit: 5,
      selector: { matchLabels: opts.selector },
      // A new pod must be ready before an old one goes: capacity never drops during a rollout.
      strategy: opts.recreate
        ? { type: "Recreate" }
        : { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: "25%" } },
      template: {
        metadata: {
          labels: opts.podLabels,
          ...(opts.podAnnotations ? { annotations: opts.podAnnotations } : {}),
        },
        spec: opts.podSpec,
      },
    },
  };
}

/** A PodDisruptionBudget letting node drains take one pod of the tier at a time. */
export function disruptionBudget(meta: ChildMeta, selector: Record<string, string>): IPodDisruptionBudget {
  return {
    apiVersion: "policy/v1",
    kind: "PodDisruptionBudget",
    metadata: meta,
    spec: { maxUnavailable: 1, selector: { matchLabels: selector } },
  };
}

export function service(
  meta: ChildMeta,
  opts: {
    type: NonNullable<NonNullable<IService["spec"]>["type"]>;
    port: number;
    selector: Record<string, string>;
  },
): IService {
  return {
    apiVersion: "v1",
    kind: "Service",
    metadata: meta,
    spec: {
      type: opts.type,
      selector: opts.selector,
      ports: [{ name: "http", port: opts.port, targetPort: "http", protocol: "TCP" }],
    },
  };
}

export function persistentVolumeClaim(
  meta: ChildMeta,
  opts: {
    size: string | number;
    accessMode: "ReadWriteMany" | "ReadWriteOnce" | "ReadWriteOncePod";
    storageClassName?: string;
  },
): IPersistentVolumeClaim {
  return {
    apiVersion: "v1",
    kind: "PersistentVolumeClaim",
    metadata: meta,
    spec: {
      accessModes: [opts.accessMode],
      resources: { requests: { storage: String(opts.size) } },
      ...(opts.storageClassName ? { storageClassName: opts.storageClassName } : {}),
    },
  };
}
