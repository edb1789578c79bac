/**
 * A PodDisruptionBudget's allowed disruptions, computed as the disruption controller does: the healthy
 * (Ready, not terminating) pods its selector matches, less the healthy pods it must keep. The pods'
 * controllers give the expected count for percentages and maxUnavailable. A simulated cluster has no pods,
 * so there the Deployments whose pod template the selector matches stand for them, by their status.
 */
import { labelSelectorMatches } from "../schemas/selectors.js";
import type { ClusterView } from "../storage/resource-type.js";
import { isObject, type JsonObject, type KubeObject } from "../types.js";

const PODS = "/pods";
const REPLICASETS = "apps/replicasets";
const DEPLOYMENTS = "apps/deployments";
const STATEFULSETS = "apps/statefulsets";

const spec = (o: KubeObject): JsonObject => (isObject(o.spec) ? o.spec : {});
const num = (v: unknown, fallback = 0) => (typeof v === "number" ? v : fallback);

function ready(pod: KubeObject): boolean {
  if (pod.metadata.deletionTimestamp) return false;
  const conditions =
    isObject(pod.status) && Array.isArray(pod.status.conditions) ? pod.status.conditions : [];
  return conditions.some((c) => isObject(c) && c.type === "Ready" && c.status === "True");
}

/** `n` or `n%` of `total`, rounded up as the disruption controller rounds. */
function scaled(value: unknown, total: number): number {
  if (typeof value === "string" && value.endsWith("%"))
    return Math.ceil((Number(value.slice(0, -1)) * total) / 100);
  return Number(value);
}

function controllerOf(o: KubeObject): { kind: string; name: string } | undefined {
  return o.metadata.ownerReferences?.find((r) => r.controller === true);
}

/** The replicas the pods' controllers want, each controller counted once. */
function expectedPods(pods: KubeObject[], namespace: string, view: ClusterView): number {
  const seen = new Set<string>();
  let total = 0;
  const find = (key: string, name: string) => view.list(key, namespace).find((o) => o.metadata.name === name);
  for (const pod of pods) {
    let owner = controllerOf(pod);
    let scaleOf: KubeObject | undefined;
    if (owner?.kind === "ReplicaSet") {
      const rs = find(REPLICASETS, owner.name);
      const deployment = rs && controllerOf(rs);
      if (rs && deployment?.kind === "Deployment") {
        owner = deployment;
        scaleOf = find(DEPLOYMENTS, deployment.name);
      } else scaleOf = rs;
    } else if (owner?.kind === "StatefulSet") scaleOf = find(STATEFULSETS, owner.name);
    if (!owner || !scaleOf) {
      total += 1;
      continue;
    }
    const key = `${owner.kind}/${owner.name}`;
    if (seen.has(key)) continue;
    seen.add(key);
    total += num(spec(scaleOf).replicas, 1);
  }
  return total;
}

function templateLabels(workload: KubeObject): unknown {
  const template = spec(workload).template;
  return isObject(template) && isObject(template.metadata) ? template.metadata.labels : undefined;
}

export function allowedDisruptions(pdb: KubeObject, view: ClusterView): number {
  const s = spec(pdb);
  const namespace = pdb.metadata.namespace ?? "";
  const selector = s.selector;
  if (!isObject(selector)) return 0;
  const matches = (labels: unknown) => labelSelectorMatches(selector, isObject(labels) ? labels : {});
  const pods = view.list(PODS, namespace).filter((p) => matches(p.metadata.labels));
  let healthy: number;
  let expected: number;
  if (pods.length > 0) {
    healthy = pods.filter(ready).length;
    expected =
      s.maxUnavailable !== undefined || typeof s.minAvailable === "string"
        ? expectedPods(pods, namespace, view)
        : pods.length;
  } else {
    const deployments = view.list(DEPLOYMENTS, namespace).filter((d) => matches(templateLabels(d)));
    healthy = deployments.reduce((n, d) => n + num(isObject(d.status) ? d.status.readyReplicas : 0), 0);
    expected = deployments.reduce((n, d) => n + num(spec(d).replicas, 1), 0);
  }
  let desiredHealthy: number;
  if (s.maxUnavailable !== undefined) desiredHealthy = expected - scaled(s.maxUnavailable, expected);
  else if (s.minAvailable !== undefined) desiredHealthy = scaled(s.minAvailable, expected);
  else desiredHealthy = expected;
  return Math.max(0, healthy - Math.max(0, desiredHealthy));
}
