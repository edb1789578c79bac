import { z } from "zod";

const condition = z
  .object({
    type: z.string().max(316).describe("Condition type: Ready, Progressing, Degraded or Stalled."),
    status: z.enum(["True", "False", "Unknown"]).describe("True, False or Unknown."),
    reason: z.string().max(1024).describe("One-word CamelCase reason for the status."),
    message: z.string().max(32_768).describe("Human-readable detail."),
    lastTransitionTime: z.string().max(64).describe("When the status last changed."),
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("Generation the condition was computed for."),
  })
  .strict();

const tierStatus = (tier: string) =>
  z
    .object({
      replicas: z.number().int().min(0).optional().describe(`Pods of the ${tier} tier.`),
      readyReplicas: z.number().int().min(0).optional().describe(`Ready pods of the ${tier} tier.`),
      updatedReplicas: z
        .number()
        .int()
        .min(0)
        .optional()
        .describe(`Pods of the ${tier} tier running the current spec.`),
      desiredReplicas: z.number().int().min(0).optional().describe(`Pods the ${tier} tier should have.`),
      ready: z
        .string()
        .max(32)
        .optional()
        .describe(
          `Ready and desired pods of the ${tier} tier as "ready/desired", e.g. 2/2 (shown by kubectl get).`,
        ),
    })
    .strict()
    .describe(`Replica counts of the ${tier} tier.`);

const migrationStatus = z
  .object({
    version: z
      .string()
      .max(64)
      .describe(
        "The app version the spec asks for: a hash of the app image and of the command, env and envFrom its migration sees.",
      ),
    job: z.string().max(253).describe("The migration Job of that version (`kubectl logs job/<job>`)."),
    state: z
      .enum(["Waiting", "Running", "Succeeded", "Failed"])
      .describe(
        "Waiting (for an earlier migration still running), Running, Succeeded (the version rolls out) or Failed (the previous version keeps running).",
      ),
    runningVersion: z
      .string()
      .max(64)
      .optional()
      .describe("The version the app pods run: the last one whose migration succeeded."),
  })
  .strict()
  .describe("The database migration of the app's version (spec.app.migrate).");

export const webAppStatus = z
  .object({
    observedGeneration: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe("The generation of the spec this status describes."),
    conditions: z
      .array(condition)
      .max(16)
      .optional()
      .describe(
        "Ready, Progressing and Degraded, in the standard metav1.Condition shape (kstatus compatible).",
      )
      .meta({ "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] }),
    web: tierStatus("web").optional(),
    app: tierStatus("app").optional(),
    workers: z
      .array(
        tierStatus("worker")
          .extend({ name: z.string().max(64).describe("The worker's name (spec.workers[].name).") })
          .describe("Replica counts of one worker."),
      )
      .max(16)
      .optional()
      .describe("Replica counts of each worker (spec.workers)."),
    migration: migrationStatus.optional(),
    replicas: z.number().int().min(0).optional().describe("App pods (the scale subresource's status)."),
    selector: z
      .string()
      .max(1024)
      .optional()
      .describe("Label selector of the app pods, for the scale subresource and autoscalers."),
    url: z
      .string()
      .max(1024)
      .optional()
      .describe(
        "Where users reach the WebApp: https://<host>/ through its Ingress when it has TLS, http://<host>/ without, else the entry Service's in-cluster URL.",
      ),
    clusterURL: z.string().max(1024).optional().describe("In-cluster URL of the WebApp's entry Service."),
    warnings: z
      .array(
        z
          .object({
            field: z.string().max(256).describe("The field to change, e.g. spec.app.replicas."),
            message: z.string().max(4096).describe("What is unwise about its value, and what to do."),
          })
          .strict(),
      )
      .max(32)
      .optional()
      .describe("Valid but unwise settings, one entry per field (the same text is in the Ready condition)."),
  })
  .strict()
  .describe("Observed state, written by the operator.");

export type WebAppStatus = z.output<typeof webAppStatus>;
export type Condition = z.output<typeof condition>;
