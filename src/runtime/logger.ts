import { pino } from "pino";

export type Logger = pino.Logger;

export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** JSON lines on stderr (stdout stays free for command output), timestamps in ISO form. */
export function createLogger(
  level: LogLevel = "info",
  destination: NodeJS.WritableStream = process.stderr,
): Logger {
  return pino(
    {
      level,
      base: { component: "webapp-operator" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.destination({ dest: destination === process.stderr ? 2 : 1, sync: false }) as never,
  );
}
