import type { IPodSpec } from "kubernetes-models/v1/PodSpec";
import type { ResolvedApp } from "../api/resolve.js";
import { APP_VERSION_ANNOTATION } from "./app-version.js";
import type { Child, ChildRole } from "./child-kinds.js";
import type { RenderContext } from "./context.js";
import { renderCronJob } from "./cron-jobs.js";
import { renderMigration } from "./migration.js";
import { renderWorker } from "./workers.js";

/** The app's processes around its servers: the migration of its version, its workers, its scheduled jobs. */
export interface AppLifecycle {
  /** The app tier (its Deployment stamped with the version), the migration Job, workers, CronJobs. */
  children: Child[];
  /** The app version, when the app has a migration. */
  version: string | undefined;
}

/** The pod spec of the app tier's Deployment: every other process of the app starts from it. */
function appPodOf(appTier: readonly Child[]): IPodSpec {
  const deployment = appTier.find((c) => c.role === "app-deployment")!.object as unknown as {
    spec: { template: { spec: IPodSpec } };
  };
  return deployment.spec.template.spec;
}

function withVersion(child: Child, version: string): Child {
  const { metadata } = child.object;
  const annotations = { ...metadata.annotations, [APP_VERSION_ANNOTATION]: version };
  return { ...child, object: { ...child.object, metadata: { ...metadata, annotations } } };
}

export function renderAppLifecycle(ctx: RenderContext, app: ResolvedApp, appTier: Child[]): AppLifecycle {
  const appPod = appPodOf(appTier);
  const migration = app.migrate ? renderMigration(ctx, app.migrate, appPod) : undefined;
  const tier = migration
    ? appTier.map((c) => (c.role === "app-deployment" ? withVersion(c, migration.version) : c))
    : appTier;
  return {
    children: [
      ...(migration ? [migration.job] : []),
      ...tier,
      ...ctx.spec.workers.flatMap((w) => renderWorker(ctx, w, appPod)),
      ...ctx.spec.cronJobs.map((j) => renderCronJob(ctx, j, appPod)),
    ],
    version: migration?.version,
  };
}

const APP_CODE_ROLES: ReadonlySet<ChildRole> = new Set(["app-deployment", "worker-deployment", "cron-job"]);

/**
 * Whether a child runs the app's code or files from its image, and so moves to a new app version only
 * once its migration succeeded: the app tier, workers, scheduled jobs, and NGINX when its static files
 * are copied from the app image.
 */
export function runsAppVersion(ctx: RenderContext, role: ChildRole): boolean {
  if (APP_CODE_ROLES.has(role)) return true;
  const fromImage = ctx.spec.static?.fromImage;
  return (
    role === "web-deployment" && ctx.spec.app !== undefined && fromImage !== undefined && !fromImage.image
  );
}
