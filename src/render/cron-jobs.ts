import type { ICronJob } from "kubernetes-models/batch/v1/CronJob";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { ResolvedCronJob } from "../api/resolve.js";
import { appProcessPod } from "./app-process.js";
import type { Child } from "./child-kinds.js";
import type { RenderContext } from "./context.js";
import { childLabels, LABELS } from "./labels.js";

/**
 * A scheduled job (`<webapp>-cron-<name>`): a CronJob whose pods are the app pod running the job's
 * command. Its Jobs are the CronJob's own (it keeps the last few), so they carry no labels of ours;
 * their pods do, so `kubectl logs -l` finds them.
 */
export function renderCronJob(ctx: RenderContext, job: ResolvedCronJob, appPod: IPodSpec): Child {
  const labels = { ...childLabels(ctx.name, "cron"), [LABELS.process.key]: job.name };
  const cronJob: ICronJob = {
    apiVersion: "batch/v1",
    kind: "CronJob",
    metadata: { ...ctx.meta("cron-job", { instance: job.name }), labels },
    spec: {
      schedule: job.schedule,
      ...(job.timeZone ? { timeZone: job.timeZone } : {}),
      concurrencyPolicy: job.concurrencyPolicy,
      ...(job.suspend !== undefined ? { suspend: job.suspend } : {}),
      ...(job.startingDeadlineSeconds ? { startingDeadlineSeconds: job.startingDeadlineSeconds } : {}),
      jobTemplate: {
        spec: {
          backoffLimit: job.backoffLimit,
          ...(job.activeDeadlineSeconds ? { activeDeadlineSeconds: job.activeDeadlineSeconds } : {}),
          template: {
            metadata: { labels },
            spec: appProcessPod(appPod, {
              container: "job",
              command: job.command,
              resources: job.resources,
              restartPolicy: "Never",
            }),
          },
        },
      },
    },
  };
  return ctx.child("cron-job", cronJob);
}
