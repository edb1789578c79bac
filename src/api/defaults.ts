/*
 * Defaults live here, in code, and not in the CRD: a schema default is written into the stored
 * object, which GitOps tools then see as drift from Git (Argo CD's perpetual OutOfSync). Changing a
 * default here changes running WebApps on the next reconcile, which is also why each is stated in its
 * field's description (from this table, so the two cannot disagree). resolveSpec (resolve.ts) applies them.
 */

/** One default: how the field's description states it, and the value when it is a fixed one. */
export interface DefaultEntry {
  /** The text after "Default: " in the field's description (and in the README). */
  text: string;
  /** A fixed value resolveSpec applies; absent for a rule computed from other fields. */
  value?: unknown;
  /**
   * Who applies it: the operator (resolveSpec, the default) or Kubernetes itself (the field is left
   * out and the cluster decides, e.g. the default StorageClass).
   */
  by?: "operator" | "kubernetes";
}

const fixed = <T>(value: T, text = String(value)): DefaultEntry & { value: T } => ({ text, value });
/** A default computed from other fields; `value` is the constant the rule uses, if any. */
const rule = <T = undefined>(text: string, value?: T): DefaultEntry & { value: T } =>
  ({ text, ...(value !== undefined ? { value } : {}) }) as DefaultEntry & { value: T };
const cluster = (text: string): DefaultEntry => ({ text, by: "kubernetes" });

export const DEFAULT_WEB_IMAGE = "nginxinc/nginx-unprivileged:1.27-alpine";
/** The uid of the nginx user in nginxinc/nginx-unprivileged. */
export const DEFAULT_WEB_USER = 101;

/**
 * Every default of the spec, keyed by field path under `spec`. resolveSpec applies the operator's,
 * the schema's descriptions state each one from here (so they cannot disagree), and a test checks
 * both directions.
 */
export const DEFAULTS = {
  "app.server": fixed("gunicorn" as const),
  "app.serviceAccountName": cluster("the namespace's default account"),
  "app.workers": rule("2 x the CPU request (in cores, 1 when unset) + 1"),
  "app.threads": fixed(1),
  "app.workerClass": rule("sync, or gthread when threads > 1"),
  "app.timeoutSeconds": fixed(30),
  "app.gracefulTimeoutSeconds": fixed(30),
  "app.port": fixed(8000),
  "app.replicas": fixed(2),
  "app.autoscaling.minReplicas": rule("2, or maxReplicas when that is lower"),
  "app.autoscaling.targetCPUUtilizationPercentage": rule("70 when no memory target is set", 70),
  "app.healthCheck.path": fixed("/healthz"),
  "app.healthCheck.host": rule(
    "the Ingress host when set; for a wildcard host such as *.example.com, its domain example.com (which Django's ALLOWED_HOSTS entry .example.com accepts)",
  ),
  "app.runAsUser": fixed(10001),
  "app.migrate.activeDeadlineSeconds": fixed(1800, "1800 (30 minutes)"),
  "app.migrate.backoffLimit": fixed(1),
  "app.networkPolicy": fixed(true),
  "web.image": fixed(DEFAULT_WEB_IMAGE),
  "web.replicas": fixed(2),
  "web.clientMaxBodySize": fixed("10m"),
  "web.proxyTimeouts.connectSeconds": fixed(5),
  "web.proxyTimeouts.readSeconds": fixed(60),
  "web.proxyTimeouts.sendSeconds": fixed(60),
  "web.proxyBuffering": fixed(true),
  "web.gzip": fixed(true),
  "web.websockets": fixed(false),
  "web.trustedProxies": fixed(
    [] as string[],
    "none; but with the WebApp's own TLS Ingress (ingress.tlsSecretName) and a ClusterIP entry Service, X-Forwarded-Proto alone (http or https) is believed from any peer, since only clients inside the cluster (the ingress controller among them) can reach NGINX",
  ),
  "static.urlPath": rule("/static/, or / for a static-only site"),
  "static.fromImage.image": rule("the app image"),
  "static.maxAgeSeconds": fixed(604_800, "604800 (a week)"),
  "static.persistentVolumeClaim.storageClassName": cluster("the cluster's default class"),
  "media.urlPath": fixed("/media/"),
  "media.mountPath": fixed("/app/media"),
  "media.storageClassName": cluster("the cluster's default class"),
  "media.accessMode": fixed("ReadWriteMany" as const),
  "media.keepOnDelete": fixed(true),
  "service.type": fixed("ClusterIP" as const),
  "service.port": fixed(80),
  "ingress.className": cluster("the cluster's default class"),
  "ingress.tlsSecretName": rule("<name>-tls when certManager is set, else none (plain HTTP)"),
  "ingress.hosts.tlsSecretName": rule("<name>-tls when certManager is set, else none (plain HTTP)"),
  "httpRoute.https": fixed(false),
  "workers.replicas": fixed(1),
  "workers.singleton": fixed(false),
  "workers.resources": rule("the app's resources"),
  "workers.autoscaling.minReplicas": rule("2, or maxReplicas when that is lower"),
  "workers.autoscaling.targetCPUUtilizationPercentage": rule("70 when no memory target is set", 70),
  "workers.livenessProbe.periodSeconds": fixed(30),
  "workers.livenessProbe.timeoutSeconds": fixed(10),
  "workers.livenessProbe.failureThreshold": fixed(3),
  "workers.readinessProbe.periodSeconds": fixed(10),
  "workers.readinessProbe.timeoutSeconds": fixed(10),
  "workers.readinessProbe.failureThreshold": fixed(3),
  "cronJobs.concurrencyPolicy": fixed("Forbid" as const),
  "cronJobs.timeZone": cluster("the controller manager's default time zone, usually UTC"),
  "cronJobs.backoffLimit": fixed(0),
  "cronJobs.resources": rule("the app's resources"),
} satisfies Record<string, DefaultEntry>;

export type DefaultKey = keyof typeof DEFAULTS;

/** The URL path of static files when the WebApp has an app (the rule's usual case). */
export const DEFAULT_STATIC_URL_PATH = "/static/";

/** A field description ending with (or continuing after) the field's default, from the table. */
export function withDefault(key: DefaultKey, text: string, after?: string): string {
  return `${text} Default: ${DEFAULTS[key].text}.${after ? ` ${after}` : ""}`;
}
