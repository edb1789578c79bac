import { z } from "zod";
import { withDefault } from "../defaults.js";
import { backoffLimit, commandLine, namedList, processName, resources } from "./common.js";

/** Five cron fields, or one of the macros the CronJob controller knows. No `TZ=` prefix: see timeZone. */
const SCHEDULE =
  /^(@(yearly|annually|monthly|weekly|daily|midnight|hourly)|[0-9A-Za-z*/,?-]+( [0-9A-Za-z*/,?-]+){4})$/;

const seconds = (max: number, description: string) =>
  z.number().int().min(1).max(max).optional().describe(description);

const cronJob = z
  .object({
    name: processName(
      "Name of the scheduled job, e.g. clearsessions. Its CronJob is `<webapp>-cron-<name>`, shortened with a hash when that is longer than the 52 characters Kubernetes allows.",
    ),
    schedule: z
      .string()
      .max(128)
      .regex(SCHEDULE, {
        message:
          "must be five cron fields separated by single spaces (minute hour day-of-month month day-of-week, e.g. '0 3 * * *') or a macro such as @daily",
      })
      .describe(
        "When to run, in cron syntax: minute hour day-of-month month day-of-week (e.g. '0 3 * * *'), or @hourly, @daily, @weekly, @monthly, @yearly.",
      ),
    command: commandLine(
      "The command, without a shell, e.g. [python, manage.py, clearsessions]. It runs from the app image with the app's env, volumes and security context.",
    ),
    timeZone: z
      .string()
      .max(64)
      .regex(/^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/, {
        message: "must be an IANA time zone name such as Europe/Paris or UTC",
      })
      .optional()
      .describe(withDefault("cronJobs.timeZone", "IANA time zone of the schedule, e.g. Europe/Paris.")),
    concurrencyPolicy: z
      .enum(["Allow", "Forbid", "Replace"])
      .optional()
      .describe(
        withDefault(
          "cronJobs.concurrencyPolicy",
          "When a run is due while the previous one still runs: Forbid skips the new run, Replace stops the old one, Allow runs both.",
        ),
      ),
    suspend: z.boolean().optional().describe("Pause the schedule; a run already started goes on."),
    startingDeadlineSeconds: seconds(
      86_400,
      "How late a run may still start when it was missed (the controller was down); later ones are skipped.",
    ),
    activeDeadlineSeconds: seconds(86_400, "How long one run may take before it is stopped as failed."),
    backoffLimit: backoffLimit(
      "cronJobs.backoffLimit",
      "How often a failed run is retried (each retry runs the whole command again).",
    ),
    resources: resources
      .optional()
      .describe(withDefault("cronJobs.resources", "Compute resources of the job's container.")),
  })
  .strict();

export const cronJobsSpec = namedList(cronJob, 16, "scheduled jobs").describe(
  "Commands run on a schedule from the app image (CronJobs), such as clearing expired sessions.",
);

export type CronJobSpec = z.output<typeof cronJob>;
