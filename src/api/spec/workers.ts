import { z } from "zod";
import { type DefaultKey, withDefault } from "../defaults.js";
import { withRules } from "../rules.js";
import { autoscalingSpec } from "./autoscaling.js";
import { commandLine, namedList, processName, replicaCount, resources } from "./common.js";

const probeSetting = (key: DefaultKey, text: string, max: number) =>
  z.number().int().min(1).max(max).optional().describe(withDefault(key, text));

/** An exec probe: workers serve no HTTP, so the check is a command run in the container. */
const execProbe = (probe: "livenessProbe" | "readinessProbe", description: string) =>
  z
    .object({
      command: commandLine("The check, without a shell; exit status 0 means healthy."),
      periodSeconds: probeSetting(`workers.${probe}.periodSeconds`, "Seconds between two checks.", 3600),
      timeoutSeconds: probeSetting(
        `workers.${probe}.timeoutSeconds`,
        "Seconds a check may take before it counts as failed.",
        3600,
      ),
      failureThreshold: probeSetting(
        `workers.${probe}.failureThreshold`,
        "Failed checks in a row that count.",
        100,
      ),
    })
    .strict()
    .describe(description);

const worker = withRules(
  z
    .object({
      name: processName(
        "Name of the worker, e.g. celery or beat. Its Deployment is `<webapp>-worker-<name>`.",
      ),
      command: commandLine(
        "The worker's command, without a shell, e.g. [celery, -A, shop, worker, --loglevel=info]. It runs from the app image with the app's env, volumes and security context.",
      ),
      replicas: replicaCount
        .optional()
        .describe(
          withDefault("workers.replicas", "Number of worker pods. Not allowed while autoscaling is set."),
        ),
      autoscaling: autoscalingSpec("workers", "worker replicas")
        .optional()
        .describe("Scale the worker with a HorizontalPodAutoscaler (on CPU or memory use)."),
      resources: resources
        .optional()
        .describe(withDefault("workers.resources", "Compute resources of the worker container.")),
      singleton: z
        .boolean()
        .optional()
        .describe(
          withDefault(
            "workers.singleton",
            "A process of which two must never run at once, such as a scheduler (Celery beat): it runs at most one replica, and a rollout stops the old pod before the new one starts (strategy Recreate).",
          ),
        ),
      livenessProbe: execProbe(
        "livenessProbe",
        "Restart the worker when this check keeps failing (e.g. [celery, -A, shop, inspect, ping]).",
      ).optional(),
      readinessProbe: execProbe(
        "readinessProbe",
        "A new worker pod counts as ready (and a rollout moves on) only while this check passes.",
      ).optional(),
    })
    .strict(),
  [
    {
      cel: "!has(self.autoscaling) || !has(self.replicas)",
      message:
        "replicas cannot be set while autoscaling is set: the autoscaler owns the worker's replica count",
      fieldPath: ".replicas",
      holds: (w) => w.autoscaling === undefined || w.replicas === undefined,
    },
    {
      cel: "!has(self.singleton) || !self.singleton || ((!has(self.replicas) || self.replicas <= 1) && !has(self.autoscaling))",
      message:
        "a singleton worker runs at most one replica: set replicas to 0 or 1 and leave out autoscaling",
      fieldPath: ".singleton",
      holds: (w) => !w.singleton || ((w.replicas ?? 1) <= 1 && w.autoscaling === undefined),
    },
  ],
);

export const workersSpec = namedList(worker, 16, "workers").describe(
  "Background processes from the app image (a Celery worker and beat, an RQ worker), one Deployment each, without a Service. They roll out after the migration, like the app tier.",
);

export type WorkerSpec = z.output<typeof worker>;
