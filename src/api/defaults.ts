import { cpuCores } from "./formats.js";
import type { AppSpec } from "./spec/app.js";
import type { MediaSpec, StaticSpec } from "./spec/storage.js";
import type { WebSpec } from "./spec/web.js";
import type { WebAppSpec } from "./spec/webapp-spec.js";

/*
 * Defaults live here, in code, and not in the CRD: a schema default is written into the stored
 * object, which GitOps tools then see as drift from Git (Argo CD's perpetual OutOfSync). Changing a
 * default here changes running WebApps on the next reconcile, which is also why each is documented
 * in the field's description.
 */

export const DEFAULT_WEB_IMAGE = "nginxinc/nginx-unprivileged:1.27-alpine";
export const DEFAULT_APP_USER = 10001;
/** The uid of the nginx user in nginxinc/nginx-unprivileged. */
export const DEFAULT_WEB_USER = 101;

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
  Omit<AppSpec, "workers" | "workerClass" | "healthCheck"> & {
    workers: number;
    /** True when `workers` came from the CPU request rather than the spec. */
    workersDefaulted: boolean;
    workerClass: NonNullable<AppSpec["workerClass"]>;
    replicas: number;
    healthCheck: { path: string; host?: string };
  };

export interface ResolvedWeb extends WebSpec {
  image: string;
  replicas: number;
  clientMaxBodySize: string;
  proxyTimeouts: { connectSeconds: number; readSeconds: number; sendSeconds: number };
  proxyBuffering: boolean;
  gzip: boolean;
  websockets: boolean;
  trustedProxies: string[];
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
  ingress?: WebAppSpec["ingress"];
}

/** Workers for a CPU request: Gunicorn's advice of 2 x cores + 1, assuming one core when unset. */
export function defaultWorkers(cpuRequest: string | number | undefined): number {
  const cores = cpuRequest === undefined ? 1 : cpuCores(cpuRequest);
  if (!Number.isFinite(cores) || cores <= 0) return 3;
  return Math.min(64, Math.max(2, Math.ceil(2 * cores) + 1));
}

function resolveApp(app: AppSpec, ingressHost: string | undefined): ResolvedApp {
  const threads = app.threads ?? 1;
  const workers = app.workers ?? defaultWorkers(app.resources?.requests?.cpu);
  const healthHost = app.healthCheck?.host ?? ingressHost;
  return {
    ...app,
    server: app.server ?? "gunicorn",
    workers,
    workersDefaulted: app.workers === undefined,
    threads,
    workerClass: app.workerClass ?? (threads > 1 ? "gthread" : "sync"),
    timeoutSeconds: app.timeoutSeconds ?? 30,
    gracefulTimeoutSeconds: app.gracefulTimeoutSeconds ?? 30,
    port: app.port ?? 8000,
    replicas: app.replicas ?? 2,
    runAsUser: app.runAsUser ?? DEFAULT_APP_USER,
    networkPolicy: app.networkPolicy ?? true,
    healthCheck: { path: app.healthCheck?.path ?? "/healthz", ...(healthHost ? { host: healthHost } : {}) },
  };
}

function resolveWeb(web: WebSpec): ResolvedWeb {
  return {
    ...web,
    image: web.image ?? DEFAULT_WEB_IMAGE,
    replicas: web.replicas ?? 2,
    clientMaxBodySize: web.clientMaxBodySize ?? "10m",
    proxyTimeouts: {
      connectSeconds: web.proxyTimeouts?.connectSeconds ?? 5,
      readSeconds: web.proxyTimeouts?.readSeconds ?? 60,
      sendSeconds: web.proxyTimeouts?.sendSeconds ?? 60,
    },
    proxyBuffering: web.proxyBuffering ?? true,
    gzip: web.gzip ?? true,
    websockets: web.websockets ?? false,
    trustedProxies: web.trustedProxies ?? [],
  };
}

export function resolveSpec(spec: WebAppSpec): ResolvedSpec {
  const staticOnly = spec.app === undefined;
  return {
    ...(spec.app ? { app: resolveApp(spec.app, spec.ingress?.host) } : {}),
    ...(spec.web ? { web: resolveWeb(spec.web) } : {}),
    ...(spec.static
      ? {
          static: {
            ...spec.static,
            urlPath: spec.static.urlPath ?? (staticOnly ? "/" : "/static/"),
            maxAgeSeconds: spec.static.maxAgeSeconds ?? 604_800,
          },
        }
      : {}),
    ...(spec.media
      ? {
          media: {
            ...spec.media,
            urlPath: spec.media.urlPath ?? "/media/",
            mountPath: spec.media.mountPath ?? "/app/media",
            accessMode: spec.media.accessMode ?? "ReadWriteMany",
            keepOnDelete: spec.media.keepOnDelete ?? true,
          },
        }
      : {}),
    service: { type: spec.service?.type ?? "ClusterIP", port: spec.service?.port ?? 80 },
    ...(spec.ingress ? { ingress: spec.ingress } : {}),
  };
}
