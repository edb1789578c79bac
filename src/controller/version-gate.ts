/*
 * The version gate: with `spec.app.migrate`, a new app version (a new image, or new env, envFrom or
 * migration command) reaches the pods only after its migration Job succeeded. Pure functions of the
 * desired render and of what is live, in the order the reconcile uses them:
 *
 *   runningApp(live app Deployment)   which version runs, and with what image and env
 *   migrationOf(...)                  where the desired version's migration stands
 *   planRollout(...)                  what to apply now, and which live objects to keep
 *
 * The running version is read back from the live app Deployment (an annotation beside the pod template
 * it describes), never remembered: an operator restarted in the middle of a migration resumes from
 * what the cluster shows. Until the migration succeeds, every workload that runs the app's code is
 * rendered again with the running version's image, env and envFrom (so other changes, such as
 * replicas, still apply), and a workload that does not exist yet waits.
 */
import type { AppSpec, WebApp } from "../api/index.js";
import type { KubeObject } from "../api/kube-object.js";
import {
  APP_VERSION_ANNOTATION,
  type Child,
  LABELS,
  type RenderInputs,
  type RenderResult,
  render,
} from "../render/index.js";
import { childId } from "./ownership.js";

/** Migration Jobs kept besides the desired version's, newest first: recent logs stay readable. */
export const MIGRATION_JOBS_KEPT = 3;

/** The version the app pods run, and the inputs to render the app at that version again. */
export interface RunningApp {
  /** From the Deployment's annotation; undefined for an app deployed before it had a migration. */
  version: string | undefined;
  image: string;
  env: NonNullable<AppSpec["env"]>;
  envFrom: NonNullable<AppSpec["envFrom"]>;
}

interface PodTemplateShape {
  spec?: {
    template?: {
      spec?: {
        containers?: { name?: string; image?: string; env?: unknown[]; envFrom?: unknown[] }[];
      };
    };
  };
}

/** What the live app Deployment runs; undefined when there is none (first install) or it has no app container. */
export function runningApp(deployment: KubeObject | undefined): RunningApp | undefined {
  if (!deployment || deployment.metadata.deletionTimestamp) return undefined;
  const containers = (deployment as PodTemplateShape).spec?.template?.spec?.containers ?? [];
  const app = containers.find((c) => c.name === "app");
  if (!app?.image) return undefined;
  return {
    version: deployment.metadata.annotations?.[APP_VERSION_ANNOTATION],
    image: app.image,
    env: (app.env ?? []) as RunningApp["env"],
    envFrom: (app.envFrom ?? []) as RunningApp["envFrom"],
  };
}

/** How a Job ended, from its conditions (Complete and Failed, as Kubernetes 1.31 and later set them). */
export function jobOutcome(job: KubeObject): {
  state: "Running" | "Succeeded" | "Failed";
  reason?: string;
  message?: string;
} {
  const conditions = ((job.status as { conditions?: unknown[] } | undefined)?.conditions ?? []) as {
    type?: string;
    status?: string;
    reason?: string;
    message?: string;
  }[];
  const holds = (type: string) => conditions.find((c) => c.type === type && c.status === "True");
  if (holds("Complete")) return { state: "Succeeded" };
  const failed = holds("Failed");
  if (failed) {
    return {
      state: "Failed",
      ...(failed.reason ? { reason: failed.reason } : {}),
      ...(failed.message ? { message: failed.message } : {}),
    };
  }
  return { state: "Running" };
}

export type MigrationState = "Waiting" | "Running" | "Succeeded" | "Failed";

/** Where the desired version's migration stands. */
export interface Migration {
  /** The desired app version. */
  version: string;
  /** Its Job's name. */
  job: string;
  state: MigrationState;
  /** The version the app pods run, when known. */
  runningVersion?: string;
  /** Why the Job failed (its Failed condition): reason and message. */
  failure?: { reason: string; message: string };
  /** While Waiting: the earlier migration Job still running. */
  waitingFor?: string;
  /** Earlier migration Jobs that never got a container running: deleted so the new one can start. */
  cancelled: string[];
}

function isMigrationJob(job: KubeObject): boolean {
  return job.metadata.labels?.[LABELS.component.key] === "migrate" && !job.metadata.deletionTimestamp;
}

/** Whether a pod of this Job has a container running now (a migration in progress, not to be cut short). */
function hasRunningPod(job: KubeObject, pods: readonly KubeObject[]): boolean {
  const version = job.metadata.labels?.[LABELS.appVersion.key];
  return pods.some(
    (p) =>
      p.metadata.labels?.[LABELS.component.key] === "migrate" &&
      p.metadata.labels?.[LABELS.appVersion.key] === version &&
      !p.metadata.deletionTimestamp &&
      (p.status as { phase?: string } | undefined)?.phase === "Running",
  );
}

/**
 * The desired version's migration: Succeeded once the app runs it or its Job completed; Failed with
 * the Job's reason; Waiting while an earlier version's migration is still running (two migrations
 * never run at once); Running otherwise (its Job exists or is created now). An earlier Job that is
 * still active but never got a container running (stuck pulling an image, say) is cancelled rather
 * than waited for.
 */
export function migrationOf(
  rendered: RenderResult,
  running: RunningApp | undefined,
  jobs: readonly KubeObject[],
  pods: readonly KubeObject[],
): Migration | undefined {
  const jobChild = rendered.children.find((c) => c.role === "migration-job");
  if (rendered.appVersion === undefined || !jobChild) return undefined;
  const base = {
    version: rendered.appVersion,
    job: jobChild.object.metadata.name,
    ...(running?.version ? { runningVersion: running.version } : {}),
    cancelled: [] as string[],
  };
  if (running?.version === rendered.appVersion) return { ...base, state: "Succeeded" };
  const own = jobs.find((j) => j.metadata.name === base.job && isMigrationJob(j));
  if (own) {
    const outcome = jobOutcome(own);
    if (outcome.state === "Failed") {
      return {
        ...base,
        state: "Failed",
        failure: { reason: outcome.reason ?? "Failed", message: outcome.message ?? "the Job failed" },
      };
    }
    return { ...base, state: outcome.state };
  }
  const earlier = jobs.filter((j) => isMigrationJob(j) && jobOutcome(j).state === "Running");
  const inProgress = earlier.find((j) => hasRunningPod(j, pods));
  if (inProgress) return { ...base, state: "Waiting", waitingFor: inProgress.metadata.name };
  return { ...base, state: "Running", cancelled: earlier.map((j) => j.metadata.name) };
}

/** The WebApp at the running version: its app's image, env and envFrom as the live app pods have them. */
export function atRunningVersion(webapp: WebApp, running: RunningApp): WebApp {
  const { env: _env, envFrom: _envFrom, ...app } = webapp.spec.app ?? {};
  return {
    ...webapp,
    spec: {
      ...webapp.spec,
      app: {
        ...app,
        image: running.image,
        ...(running.env.length > 0 ? { env: running.env } : {}),
        ...(running.envFrom.length > 0 ? { envFrom: running.envFrom } : {}),
      },
    },
  };
}

/** The app Deployment of the held render says which version it runs: the live one, not a hash made again. */
function withRunningVersion(child: Child, version: string | undefined): Child {
  if (child.role !== "app-deployment") return child;
  const { [APP_VERSION_ANNOTATION]: _, ...others } = child.object.metadata.annotations ?? {};
  const annotations = version ? { ...others, [APP_VERSION_ANNOTATION]: version } : others;
  const metadata = { ...child.object.metadata };
  if (Object.keys(annotations).length > 0) metadata.annotations = annotations;
  else delete metadata.annotations;
  return { ...child, object: { ...child.object, metadata } };
}

/**
 * The migration Jobs to keep: the desired version's, an earlier one still running, and the newest
 * others, less cancelled ones; none once the spec has no migration any more. Creation times have whole
 * seconds: a Job created in the same second as the oldest one kept is kept too, so a Job is never
 * deleted while an older one stays.
 */
export function jobsToKeep(jobs: readonly KubeObject[], migration: Migration | undefined): KubeObject[] {
  if (!migration) return [];
  const created = (j: KubeObject) => j.metadata.creationTimestamp ?? "";
  const candidates = jobs
    .filter(isMigrationJob)
    .filter((j) => !migration.cancelled.includes(j.metadata.name))
    .sort((a, b) => created(b).localeCompare(created(a)));
  const own = candidates.filter((j) => j.metadata.name === migration.job);
  const others = candidates.filter((j) => j.metadata.name !== migration.job);
  const oldestKept = others.length > MIGRATION_JOBS_KEPT ? created(others[MIGRATION_JOBS_KEPT - 1]!) : "";
  // An earlier migration still running is kept whatever its age: the new one waits for it.
  return [
    ...own,
    ...others.filter((j) => j.metadata.name === migration.waitingFor || created(j) >= oldestKept),
  ];
}

export interface RolloutPlan {
  /** The children to apply now, in render order. */
  apply: Child[];
  /** Live objects that stay though not applied: migration Jobs, and workloads left as they are. */
  keep: KubeObject[];
  migration: Migration | undefined;
}

export interface RolloutInput {
  webapp: WebApp;
  rendered: RenderResult;
  /** What the render was given from the cluster; the held render gets the same. */
  inputs?: RenderInputs;
  /** The live app Deployment (the cache's, or what this controller just wrote). */
  appDeployment: KubeObject | undefined;
  /** This WebApp's live Jobs. */
  jobs: readonly KubeObject[];
  /** This WebApp's live pods. */
  pods: readonly KubeObject[];
  /** The live object of a desired child, if it exists. */
  live: (child: Child) => KubeObject | undefined;
}

/**
 * What to apply now. Without a migration, or once the desired version's migration succeeded: the
 * render as it is. Until then: everything that does not run the app's code as rendered, the migration
 * Job (unless an earlier one must finish first), each live workload of the app rendered again at the
 * running version, and no workload that does not exist yet (on first install the app starts after the
 * first migration).
 */
export function planRollout(input: RolloutInput): RolloutPlan {
  const { rendered } = input;
  const running = runningApp(input.appDeployment);
  const migration = migrationOf(rendered, running, input.jobs, input.pods);
  const keep = jobsToKeep(input.jobs, migration);
  const notJob = (c: Child) => c.role !== "migration-job";
  if (!migration || migration.state === "Succeeded") {
    return { apply: rendered.children.filter(notJob), keep, migration };
  }
  const held = running ? render(atRunningVersion(input.webapp, running), input.inputs) : undefined;
  const apply: Child[] = [];
  for (const child of rendered.children) {
    if (child.role === "migration-job") {
      if (migration.state === "Running") apply.push(child);
      continue;
    }
    if (!child.versioned) {
      apply.push(child);
      continue;
    }
    const live = input.live(child);
    if (!live) continue;
    const before = held?.children.find((c) => childId(c.object) === childId(child.object));
    if (before) apply.push(withRunningVersion(before, running?.version));
    else keep.push(live);
  }
  return { apply, keep, migration };
}
