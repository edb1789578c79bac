import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { IProbe } from "kubernetes-models/v1/Probe";
import { autoscalingBounds, type ResolvedExecProbe, type ResolvedWorker } from "../api/resolve.js";
import { appProcessPod } from "./app-process.js";
import { autoscaler } from "./autoscaler.js";
import type { Child } from "./child-kinds.js";
import type { RenderContext } from "./context.js";
import { childLabels, LABELS, tierSelector } from "./labels.js";
import { deployment } from "./workload.js";

function execProbe(p: ResolvedExecProbe): IProbe {
  return {
    exec: { command: p.command },
    periodSeconds: p.periodSeconds,
    timeoutSeconds: p.timeoutSeconds,
    failureThreshold: p.failureThreshold,
  };
}

/** The labels that select one worker's pods: the worker component, told apart by the process name. */
export function workerSelector(webappName: string, worker: string): Record<string, string> {
  return { ...tierSelector(webappName, "worker"), [LABELS.process.key]: worker };
}

/**
 * One Deployment per worker (`<webapp>-worker-<name>`), from the app pod with the worker's command; no
 * Service. A singleton is replaced with strategy Recreate, so its old pod is gone before the new one
 * starts. An autoscaled worker gets its HorizontalPodAutoscaler and no replica count.
 */
export function renderWorker(ctx: RenderContext, worker: ResolvedWorker, appPod: IPodSpec): Child[] {
  const labels = { ...childLabels(ctx.name, "worker"), [LABELS.process.key]: worker.name };
  const meta = { ...ctx.meta("worker-deployment", { instance: worker.name }), labels };
  const podSpec = appProcessPod(appPod, {
    container: "worker",
    command: worker.command,
    resources: worker.resources,
    ...(worker.livenessProbe ? { livenessProbe: execProbe(worker.livenessProbe) } : {}),
    ...(worker.readinessProbe ? { readinessProbe: execProbe(worker.readinessProbe) } : {}),
  });
  const children: Child[] = [
    ctx.child(
      "worker-deployment",
      deployment(meta, {
        replicas: worker.replicas,
        selector: workerSelector(ctx.name, worker.name),
        podLabels: labels,
        podSpec,
        recreate: worker.singleton,
      }),
    ),
  ];
  const bounds = autoscalingBounds(worker.autoscaling);
  if (bounds) {
    const hpaMeta = { ...ctx.meta("worker-autoscaler", { instance: worker.name }), labels };
    children.push(
      ctx.child("worker-autoscaler", autoscaler(hpaMeta, meta.name, worker.autoscaling!, bounds)),
    );
  }
  return children;
}
