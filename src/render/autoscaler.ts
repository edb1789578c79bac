import type { IHorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler";
import type { IMetricSpec } from "kubernetes-models/autoscaling/v2/MetricSpec";
import { DEFAULTS } from "../api/defaults.js";
import type { AutoscalingSpec } from "../api/spec/autoscaling.js";
import type { ChildMeta } from "./context.js";

/**
 * A HorizontalPodAutoscaler for a Deployment (the app tier, a worker). CPU is the target unless only a
 * memory target is given.
 */
export function autoscaler(
  meta: ChildMeta,
  deploymentName: string,
  a: AutoscalingSpec,
  bounds: { min: number; max: number },
): IHorizontalPodAutoscaler {
  const cpu =
    a.targetCPUUtilizationPercentage ??
    (a.targetMemoryUtilizationPercentage
      ? undefined
      : DEFAULTS["app.autoscaling.targetCPUUtilizationPercentage"].value);
  const metric = (name: "cpu" | "memory", averageUtilization: number): IMetricSpec => ({
    type: "Resource",
    resource: { name, target: { type: "Utilization", averageUtilization } },
  });
  return {
    apiVersion: "autoscaling/v2",
    kind: "HorizontalPodAutoscaler",
    metadata: meta,
    spec: {
      scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deploymentName },
      minReplicas: bounds.min,
      maxReplicas: bounds.max,
      metrics: [
        ...(cpu !== undefined ? [metric("cpu", cpu)] : []),
        ...(a.targetMemoryUtilizationPercentage !== undefined
          ? [metric("memory", a.targetMemoryUtilizationPercentage)]
          : []),
      ],
    },
  };
}
