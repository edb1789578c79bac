import { z } from "zod";
import { withDefault } from "../defaults.js";
import { withRules } from "../rules.js";

/**
 * A HorizontalPodAutoscaler's bounds and targets, for the app tier (`app`) or a worker (`workers`).
 * One schema for both, so the two cannot drift; each states the defaults of its own section.
 */
export const autoscalingSpec = (section: "app" | "workers", what: string) =>
  withRules(
    z
      .object({
        minReplicas: z
          .number()
          .int()
          .min(1)
          .max(1000)
          .optional()
          .describe(
            withDefault(`${section}.autoscaling.minReplicas`, `Fewest ${what} the autoscaler keeps.`),
          ),
        maxReplicas: z.number().int().min(1).max(1000).describe(`Most ${what} the autoscaler may run.`),
        targetCPUUtilizationPercentage: z
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe(
            withDefault(
              `${section}.autoscaling.targetCPUUtilizationPercentage`,
              "Average CPU use, in percent of the CPU request, that the autoscaler aims for.",
            ),
          ),
        targetMemoryUtilizationPercentage: z
          .number()
          .int()
          .min(1)
          .max(100)
          .optional()
          .describe("Average memory use, in percent of the memory request, that the autoscaler aims for."),
      })
      .strict(),
    [
      {
        cel: "!has(self.minReplicas) || self.minReplicas <= self.maxReplicas",
        message: "minReplicas must be less than or equal to maxReplicas",
        fieldPath: ".minReplicas",
        holds: (a) => a.minReplicas === undefined || a.minReplicas <= a.maxReplicas,
      },
    ],
  );

export type AutoscalingSpec = z.output<ReturnType<typeof autoscalingSpec>>;
