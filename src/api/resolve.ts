import { DEFAULT_STATIC_URL_PATH, DEFAULTS } from "./defaults.js";
import { cpuCores } from "./formats.js";
import {
  publicHosts,
  type ResolvedHttpRoute,
  type ResolvedIngress,
  resolveHttpRoute,
  resolveIngress,
  servesHttps,
} from "./resolve-exposure.js";
import type { AppSpec } from "./spec/app.js";
import type { AutoscalingSpec } from "./spec/autoscaling.js";
import type { CronJobSpec } from "./spec/cron-jobs.js";
import type { MigrateSpec } from "./spec/migrate.js";
import type { MediaSpec, StaticSpec } from "./spec/storage.js";
import type { WebSpec } from "./spec/web.js";
import type { WebAppSpec } from "./spec/webapp-spec.js";
import type { WorkerSpec } from "./spec/workers.js";

export type ResolvedApp = Required<
  Pick<
    AppSpec,
    | "image"
    | "server"
    | "threads"
    | "timeoutSeconds"
    | "gracefulTimeoutSeconds"
    | "port"
    | "runAsUser"
    | "networkPolicy"
  >
> &
  Omit<AppSpec, "workers" | "workerClass" | "healthCheck" | "migrate"> & {
    workers: number;
    /** True when `workers` came from the CPU request rather than the spec. */
    workersDefaulted: boolean;
    workerClass: NonNullable<AppSpec["workerClass"]>;
    replicas: number;
    healthCheck: { path: string; host?: string };
    migrate?: ResolvedMigrate;
  };

export interface ResolvedMigrate extends MigrateSpec {
  activeDeadlineSeconds: number;
  backoffLimit: number;
}

type ExecProbe = NonNullable<WorkerSpec["livenessProbe"]>;
export type ResolvedExecProbe = Required<ExecProbe>;

export interface ResolvedWorker extends Omit<WorkerSpec, "livenessProbe" | "readinessProbe"> {
  singleton: boolean;
  /** The fixed count; absent while an autoscaler owns it. */
  replicas: number | undefined;
  livenessProbe?: ResolvedExecProbe;
  readinessProbe?: ResolvedExecProbe;
}

export interface ResolvedCronJob extends CronJobSpec {
  concurrencyPolicy: NonNullable<CronJobSpec["concurrencyPolicy"]>;
  backoffLimit: number;
}

export interface ResolvedWeb extends WebSpec {
  image: string;
  replicas: number;
  clientMaxBodySize: string;
  proxyTimeouts: { connectSeconds: number; readSeconds: number; sendSeconds: number };
  proxyBuffering: boolean;
  gzip: boolean;
  websockets: boolean;
  trustedProxies: string[];
  /**
   * Believe X-Forwarded-Proto (only http or https) from any peer: the default when the WebApp has its
   * own TLS Ingress, no trustedProxies and a ClusterIP entry Service, so every peer is in the cluster.
   */
  forwardedProtoFromAnyPeer: boolean;
}

export interface ResolvedStatic extends StaticSpec {
  urlPath: string;
  maxAgeSeconds: number;
}

export interface ResolvedMedia extends MediaSpec {
  urlPath: string;
  mountPath: string;
  accessMode: NonNullable<MediaSpec["accessMode"]>;
  keepOnDelete: boolean;
}

export interface ResolvedSpec {
  app?: ResolvedApp;
  web?: ResolvedWeb;
  static?: ResolvedStatic;
  media?: ResolvedMedia;
  service: { type: "ClusterIP" | "NodePort" | "LoadBalancer"; port: number };
  ingress?: ResolvedIngress;
  httpRoute?: ResolvedHttpRoute;
  workers: ResolvedWorker[];
  cronJobs: ResolvedCronJob[];
}

/** Workers for a CPU request: Gunicorn's advice of 2 x cores + 1, assuming one core when unset. */
export function defaultWorkers(cpuRequest: string | number | undefined): number {
  const cores = cpuRequest === undefined ? 1 : cpuCores(cpuRequest);
  if (!Number.isFinite(cores) || cores <= 0) return 3;
  return Math.min(64, Math.max(2, Math.ceil(2 * cores) + 1));
}

/** The autoscaler's bounds: minReplicas defaults to 2, or to maxReplicas when that is lower. */
export function autoscalingBounds(
  autoscaling: AutoscalingSpec | undefined,
): { min: number; max: number } | undefined {
  if (!autoscaling) return undefined;
  return {
    min: autoscaling.minReplicas ?? Math.min(2, autoscaling.maxReplicas),
    max: autoscaling.maxReplicas,
  };
}

/**
 * The probes' default Host for an Ingress host. A wildcard (`*.example.com`) is no host a client can
 * send, and Django refuses it; its domain (`example.com`) is what Django's usual `.example.com` allows.
 */
export function probeHostOf(ingressHost: string): string {
  return ingressHost.startsWith("*.") ? ingressHost.slice(2) : ingressHost;
}

function resolveApp(app: AppSpec, ingressHost: string | undefined): ResolvedApp {
  const D = DEFAULTS;
  const threads = app.threads ?? D["app.threads"].value;
  const workers = app.workers ?? defaultWorkers(app.resources?.requests?.cpu);
  const healthHost = app.healthCheck?.host ?? (ingressHost ? probeHostOf(ingressHost) : undefined);
  return {
    ...app,
    // A valid spec always has an image: a rule refuses spec.app without one.
    image: app.image ?? "",
    server: app.server ?? D["app.server"].value,
    workers,
    workersDefaulted: app.workers === undefined,
    threads,
    workerClass: app.workerClass ?? (threads > 1 ? "gthread" : "sync"),
    timeoutSeconds: app.timeoutSeconds ?? D["app.timeoutSeconds"].value,
    gracefulTimeoutSeconds: app.gracefulTimeoutSeconds ?? D["app.gracefulTimeoutSeconds"].value,
    port: app.port ?? D["app.port"].value,
    replicas: app.replicas ?? D["app.replicas"].value,
    runAsUser: app.runAsUser ?? D["app.runAsUser"].value,
    networkPolicy: app.networkPolicy ?? D["app.networkPolicy"].value,
    healthCheck: {
      path: app.healthCheck?.path ?? D["app.healthCheck.path"].value,
      ...(healthHost ? { host: healthHost } : {}),
    },
    migrate: app.migrate && {
      ...app.migrate,
      activeDeadlineSeconds:
        app.migrate.activeDeadlineSeconds ?? D["app.migrate.activeDeadlineSeconds"].value,
      backoffLimit: app.migrate.backoffLimit ?? D["app.migrate.backoffLimit"].value,
    },
  };
}

function resolveProbe(probe: ExecProbe, kind: "livenessProbe" | "readinessProbe"): ResolvedExecProbe {
  const D = DEFAULTS;
  return {
    command: probe.command,
    periodSeconds: probe.periodSeconds ?? D[`workers.${kind}.periodSeconds`].value,
    timeoutSeconds: probe.timeoutSeconds ?? D[`workers.${kind}.timeoutSeconds`].value,
    failureThreshold: probe.failureThreshold ?? D[`workers.${kind}.failureThreshold`].value,
  };
}

function resolveWorker(worker: WorkerSpec): ResolvedWorker {
  const { livenessProbe, readinessProbe, ...rest } = worker;
  return {
    ...rest,
    singleton: worker.singleton ?? DEFAULTS["workers.singleton"].value,
    replicas: worker.autoscaling ? undefined : (worker.replicas ?? DEFAULTS["workers.replicas"].value),
    ...(livenessProbe ? { livenessProbe: resolveProbe(livenessProbe, "livenessProbe") } : {}),
    ...(readinessProbe ? { readinessProbe: resolveProbe(readinessProbe, "readinessProbe") } : {}),
  };
}

function resolveCronJob(job: CronJobSpec): ResolvedCronJob {
  return {
    ...job,
    concurrencyPolicy: job.concurrencyPolicy ?? DEFAULTS["cronJobs.concurrencyPolicy"].value,
    backoffLimit: job.backoffLimit ?? DEFAULTS["cronJobs.backoffLimit"].value,
  };
}

/**
 * Whether the web tier believes X-Forwarded-Proto from any peer (see ResolvedWeb). Only where no
 * client can reach NGINX but through the cluster: a ClusterIP entry Service. Listing trustedProxies
 * (even none) replaces this default.
 */
export function forwardedProtoFromAnyPeer(
  spec: WebAppSpec,
  exposure: { ingress?: ResolvedIngress; httpRoute?: ResolvedHttpRoute },
): boolean {
  return (
    spec.web?.trustedProxies === undefined &&
    servesHttps(exposure) &&
    (spec.service?.type ?? DEFAULTS["service.type"].value) === "ClusterIP"
  );
}

function resolveWeb(
  web: WebSpec,
  spec: WebAppSpec,
  exposure: { ingress?: ResolvedIngress; httpRoute?: ResolvedHttpRoute },
): ResolvedWeb {
  const D = DEFAULTS;
  return {
    ...web,
    image: web.image ?? D["web.image"].value,
    replicas: web.replicas ?? D["web.replicas"].value,
    clientMaxBodySize: web.clientMaxBodySize ?? D["web.clientMaxBodySize"].value,
    proxyTimeouts: {
      connectSeconds: web.proxyTimeouts?.connectSeconds ?? D["web.proxyTimeouts.connectSeconds"].value,
      readSeconds: web.proxyTimeouts?.readSeconds ?? D["web.proxyTimeouts.readSeconds"].value,
      sendSeconds: web.proxyTimeouts?.sendSeconds ?? D["web.proxyTimeouts.sendSeconds"].value,
    },
    proxyBuffering: web.proxyBuffering ?? D["web.proxyBuffering"].value,
    gzip: web.gzip ?? D["web.gzip"].value,
    websockets: web.websockets ?? D["web.websockets"].value,
    trustedProxies: web.trustedProxies ?? D["web.trustedProxies"].value,
    forwardedProtoFromAnyPeer: forwardedProtoFromAnyPeer(spec, exposure),
  };
}

export function resolveSpec(spec: WebAppSpec): ResolvedSpec {
  const D = DEFAULTS;
  const staticOnly = spec.app === undefined;
  const exposure = {
    ...(spec.ingress ? { ingress: resolveIngress(spec.ingress) } : {}),
    ...(spec.httpRoute ? { httpRoute: resolveHttpRoute(spec.httpRoute) } : {}),
  };
  return {
    ...(spec.app ? { app: resolveApp(spec.app, publicHosts(exposure)[0]?.host) } : {}),
    ...(spec.web ? { web: resolveWeb(spec.web, spec, exposure) } : {}),
    ...(spec.static
      ? {
          static: {
            ...spec.static,
            urlPath: spec.static.urlPath ?? (staticOnly ? "/" : DEFAULT_STATIC_URL_PATH),
            maxAgeSeconds: spec.static.maxAgeSeconds ?? D["static.maxAgeSeconds"].value,
          },
        }
      : {}),
    ...(spec.media
      ? {
          media: {
            ...spec.media,
            urlPath: spec.media.urlPath ?? D["media.urlPath"].value,
            mountPath: spec.media.mountPath ?? D["media.mountPath"].value,
            accessMode: spec.media.accessMode ?? D["media.accessMode"].value,
            keepOnDelete: spec.media.keepOnDelete ?? D["media.keepOnDelete"].value,
          },
        }
      : {}),
    service: {
      type: spec.service?.type ?? D["service.type"].value,
      port: spec.service?.port ?? D["service.port"].value,
    },
    ...exposure,
    workers: (spec.workers ?? []).map(resolveWorker),
    cronJobs: (spec.cronJobs ?? []).map(resolveCronJob),
  };
}
