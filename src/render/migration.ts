import type { IJob } from "kubernetes-models/batch/v1/Job";
import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { ResolvedMigrate } from "../api/resolve.js";
import { appProcessPod } from "./app-process.js";
import { appVersion } from "./app-version.js";
import type { Child } from "./child-kinds.js";
import type { RenderContext } from "./context.js";
import { childLabels, LABELS } from "./labels.js";

/** The migration of one app version: its Job, and the version it is for. */
export interface Migration {
  version: string;
  job: Child;
}

/**
 * The Job that migrates the database to this app version: `<webapp>-migrate-<version>`, the app pod
 * running the migrate command once. A Job's template cannot change, and does not need to: a new
 * version gets a new Job. Finished Jobs are not deleted by a TTL (the controller keeps the last few,
 * a failed one for its logs).
 */
export function renderMigration(ctx: RenderContext, migrate: ResolvedMigrate, appPod: IPodSpec): Migration {
  const podSpec = appProcessPod(appPod, {
    container: "migrate",
    command: migrate.command,
    restartPolicy: "Never",
  });
  const version = appVersion(podSpec.containers[0]!);
  const meta = ctx.meta("migration-job", { instance: version });
  const labels = { ...childLabels(ctx.name, "migrate"), [LABELS.appVersion.key]: version };
  const job: IJob = {
    apiVersion: "batch/v1",
    kind: "Job",
    metadata: { ...meta, labels: { ...meta.labels, [LABELS.appVersion.key]: version } },
    spec: {
      backoffLimit: migrate.backoffLimit,
      activeDeadlineSeconds: migrate.activeDeadlineSeconds,
      template: { metadata: { labels }, spec: podSpec },
    },
  };
  return { version, job: ctx.child("migration-job", job) };
}
