import { z } from "zod";
import { withDefault } from "../defaults.js";
import { dnsSubdomain, httpPath, imageRef, setOf } from "../formats.js";
import { withRules } from "../rules.js";
import { autoscalingSpec } from "./autoscaling.js";
import { commandArg, env, envFrom, imagePullPolicy, replicaCount, resources } from "./common.js";
import { migrateSpec } from "./migrate.js";

/** `package.module:callable`, the way Gunicorn and uWSGI name a WSGI application. */
const wsgiModule = z
  .string()
  .min(1)
  .max(253)
  .regex(
    /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*(:[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*)?$/,
    {
      message: "must be a Python module path with an optional callable, such as shop.wsgi:application",
    },
  )
  .describe(
    "The WSGI application, as `package.module:callable` (e.g. shop.wsgi:application or app:app). Required for gunicorn and uwsgi.",
  );

export const autoscaling = autoscalingSpec("app", "app replicas").describe(
  "Scale the app tier with a HorizontalPodAutoscaler. While set, the autoscaler owns the replica count and `replicas` is ignored.",
);

/**
 * `spec.app` holding nothing but `replicas`: what the scale subresource makes of a static-only site
 * (kubectl scale writes spec.app.replicas). One clear message then replaces "image: Required value".
 */
const SCALE_ONLY =
  "has(self.replicas) && !has(self.image) && !has(self.module) && !has(self.command) && !has(self.server)";
function scaleOnly(a: {
  replicas?: unknown;
  image?: unknown;
  module?: unknown;
  command?: unknown;
  server?: unknown;
}) {
  return (
    a.replicas !== undefined &&
    a.image === undefined &&
    a.module === undefined &&
    a.command === undefined &&
    a.server === undefined
  );
}

export const appSpec = withRules(
  z
    .object({
      image: imageRef(
        "Container image holding the application code, e.g. registry.example.com/shop:1.4.2. Required.",
      ).optional(),
      imagePullPolicy: imagePullPolicy.optional(),
      imagePullSecrets: setOf(dnsSubdomain("Name of a docker-registry Secret in the WebApp's namespace."), 16)
        .optional()
        .describe(
          "Secrets used to pull the app image (and the static-files copy, which uses the same image).",
        ),
      serviceAccountName: dnsSubdomain("ServiceAccount the app pods run as.")
        .optional()
        .describe(withDefault("app.serviceAccountName", "ServiceAccount the app pods run as.")),
      server: z
        .enum(["gunicorn", "uwsgi", "command"])
        .optional()
        .describe(
          withDefault(
            "app.server",
            "The WSGI server that runs the app: gunicorn or uwsgi (the operator builds the command line), or command (you give `command`).",
          ),
        ),
      module: wsgiModule.optional(),
      command: z
        .array(commandArg)
        .min(1)
        .max(64)
        .optional()
        .describe(
          "With server: command, the full command to run (no shell). It must serve HTTP on `port` with a production server, not a framework's development server.",
        ),
      args: z
        .array(commandArg)
        .max(128)
        .optional()
        .describe(
          "Extra arguments. With gunicorn or uwsgi they are added after the generated options; with command they follow `command`.",
        ),
      workers: z
        .number()
        .int()
        .min(1)
        .max(256)
        .optional()
        .describe(withDefault("app.workers", "Worker processes per replica.")),
      threads: z
        .number()
        .int()
        .min(1)
        .max(256)
        .optional()
        .describe(withDefault("app.threads", "Threads per worker.")),
      workerClass: z
        .enum(["sync", "gthread", "gevent", "eventlet", "tornado"])
        .optional()
        .describe(
          withDefault(
            "app.workerClass",
            "Gunicorn worker class.",
            "Async classes need the library in the image.",
          ),
        ),
      timeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .optional()
        .describe(
          withDefault(
            "app.timeoutSeconds",
            "A request running longer is aborted (Gunicorn --timeout, uWSGI harakiri).",
            "NGINX's read timeout should be at least this.",
          ),
        ),
      gracefulTimeoutSeconds: z
        .number()
        .int()
        .min(1)
        .max(3600)
        .optional()
        .describe(
          withDefault(
            "app.gracefulTimeoutSeconds",
            "On shutdown, how long in-flight requests may take to finish.",
            "The pod's grace period covers it.",
          ),
        ),
      port: z
        .number()
        .int()
        .min(1024)
        .max(65535)
        .optional()
        .describe(withDefault("app.port", "Port the app server listens on inside the pod (unprivileged).")),
      replicas: replicaCount
        .optional()
        .describe(
          withDefault(
            "app.replicas",
            "Number of app pods (the scale subresource's target). Not allowed while autoscaling is set: the autoscaler owns the count.",
          ),
        ),
      autoscaling: autoscaling.optional(),
      env: env.optional(),
      envFrom: envFrom.optional(),
      resources: resources.optional(),
      healthCheck: z
        .object({
          path: httpPath(
            withDefault("app.healthCheck.path", "HTTP path that answers 2xx when the app can serve."),
          ).optional(),
          host: z
            .string()
            .max(253)
            .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
              message: "must be a lowercase DNS name",
            })
            .optional()
            .describe(
              withDefault(
                "app.healthCheck.host",
                "Host header of the probes, for frameworks that check it (Django's ALLOWED_HOSTS).",
              ),
            ),
        })
        .strict()
        .optional()
        .describe("The HTTP endpoint the readiness, liveness and startup probes call."),
      migrate: migrateSpec.optional(),
      runAsUser: z
        .number()
        .int()
        .min(1)
        .max(2147483647)
        .optional()
        .describe(withDefault("app.runAsUser", "Numeric user ID the app runs as (never root).")),
      networkPolicy: z
        .boolean()
        .optional()
        .describe(
          withDefault(
            "app.networkPolicy",
            "With a web tier, allow traffic to the app pods only from the web pods (a NetworkPolicy).",
          ),
        ),
    })
    .strict(),
  [
    {
      cel: `has(self.image) || (${SCALE_ONLY})`,
      message: "image is required: the container image holding the application code",
      fieldPath: ".image",
      holds: (a) => a.image !== undefined || scaleOnly(a),
    },
    {
      cel: `!(${SCALE_ONLY})`,
      message:
        "this WebApp has no app tier to scale (it is a static-only site): kubectl scale sets spec.app.replicas; scale the web tier with spec.web.replicas instead",
      fieldPath: ".replicas",
      holds: (a) => !scaleOnly(a),
    },
    {
      cel: "!has(self.autoscaling) || !has(self.replicas)",
      message:
        "replicas cannot be set while autoscaling is set: the autoscaler owns the app tier's replica count (so kubectl scale has no effect); change autoscaling.minReplicas and maxReplicas instead",
      fieldPath: ".replicas",
      holds: (a) => a.autoscaling === undefined || a.replicas === undefined,
    },
    {
      cel: "!has(self.server) || self.server != 'command' || has(self.command)",
      message: "server: command needs `command` (the program to run)",
      fieldPath: ".command",
      holds: (a) => a.server !== "command" || a.command !== undefined,
    },
    {
      cel: `(has(self.server) && self.server == 'command') || has(self.module) || (${SCALE_ONLY})`,
      message: "gunicorn and uwsgi need `module`, the WSGI application (e.g. shop.wsgi:application)",
      fieldPath: ".module",
      holds: (a) => a.server === "command" || a.module !== undefined || scaleOnly(a),
    },
    {
      cel: "!has(self.command) || (has(self.server) && self.server == 'command')",
      message: "`command` is only used with server: command; gunicorn and uwsgi take extra options in `args`",
      fieldPath: ".command",
      holds: (a) => a.command === undefined || a.server === "command",
    },
    {
      cel: "!has(self.workerClass) || !has(self.server) || self.server == 'gunicorn'",
      message: "workerClass is a Gunicorn setting; it needs server: gunicorn",
      fieldPath: ".workerClass",
      holds: (a) => a.workerClass === undefined || a.server === undefined || a.server === "gunicorn",
    },
  ],
).describe("The WSGI application servers (Gunicorn or uWSGI). Leave out for a static-only site.");

export type AppSpec = z.output<typeof appSpec>;
