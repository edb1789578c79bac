import { z } from "zod";
import { withDefault } from "../defaults.js";
import { backoffLimit, commandLine } from "./common.js";

export const migrateSpec = z
  .object({
    command: commandLine(
      "The command that migrates the database to this version of the app, without a shell, e.g. [python, manage.py, migrate, --noinput]. It must be safe to run again (Django's migrate and Alembic's upgrade are).",
    ),
    activeDeadlineSeconds: z
      .number()
      .int()
      .min(10)
      .max(86_400)
      .optional()
      .describe(
        withDefault(
          "app.migrate.activeDeadlineSeconds",
          "How long a migration may run, retries included, before it counts as failed.",
        ),
      ),
    backoffLimit: backoffLimit(
      "app.migrate.backoffLimit",
      "Runs of the command that may fail before the migration counts as failed (a retry covers a database that was restarting).",
    ),
  })
  .strict()
  .describe(
    "Migrate the database before each new app version rolls out. A version is the app image with the command, env and envFrom the migration sees; for each new one a Job `<name>-migrate-<version>` runs the command once from the app image, with the app's env, volumes and security context. The app pods, the workers, the scheduled jobs and NGINX (when its static files come from the app image) move to the new version only after it succeeds; on first install they start after the first migration. When it fails the previous version keeps running, the WebApp is Degraded with the Job's reason, and the failed Job is kept for `kubectl logs job/<name>`; a corrected spec starts a new Job.",
  );

export type MigrateSpec = z.output<typeof migrateSpec>;
