/**
 * CronJob schedules as Kubernetes reads them (robfig/cron's standard parser): five fields or a
 * descriptor such as @hourly, evaluated in spec.timeZone (default: the controller's local zone, UTC here
 * as on most clusters). The parsing itself is cron-parser's.
 */
import { CronExpressionParser } from "cron-parser";

const DESCRIPTORS: Record<string, string> = {
  "@yearly": "0 0 1 1 *",
  "@annually": "0 0 1 1 *",
  "@monthly": "0 0 1 * *",
  "@weekly": "0 0 * * 0",
  "@daily": "0 0 * * *",
  "@midnight": "0 0 * * *",
  "@hourly": "0 * * * *",
};

function standardForm(schedule: string): string | { error: string } {
  const trimmed = schedule.trim();
  if (trimmed.startsWith("@")) {
    const expr = DESCRIPTORS[trimmed];
    return expr ?? { error: `unrecognized descriptor: ${trimmed}` };
  }
  const fields = trimmed.split(/\s+/).filter(Boolean);
  if (fields.length !== 5)
    return { error: `expected exactly 5 fields, found ${fields.length}: [${fields.join(" ")}]` };
  return fields.join(" ");
}

/** Why a schedule is refused (the API server's message), or undefined when it is valid. */
export function scheduleError(schedule: string): string | undefined {
  if (schedule.includes("TZ")) return "cannot use TZ or CRON_TZ in schedule, use timeZone field instead";
  const form = standardForm(schedule);
  if (typeof form !== "string") return form.error;
  try {
    CronExpressionParser.parse(form, { tz: "UTC" });
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

export function timeZoneError(timeZone: string): string | undefined {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone });
    return undefined;
  } catch {
    return `unknown time zone ${timeZone}`;
  }
}

/**
 * The most recent schedule time after `after` and at or before `until`, and how many were missed in
 * between (upstream warns past 100). Counting stops at 10,000 so a long outage cannot stall the controller.
 */
export function mostRecentScheduleTime(
  schedule: string,
  timeZone: string | undefined,
  after: number,
  until: number,
): { time: number | undefined; missed: number } {
  const form = standardForm(schedule);
  if (typeof form !== "string") return { time: undefined, missed: 0 };
  const expr = CronExpressionParser.parse(form, { currentDate: new Date(after), tz: timeZone ?? "UTC" });
  let time: number | undefined;
  let missed = 0;
  while (missed < 10_000) {
    const t = expr.next().getTime();
    if (t > until) break;
    time = t;
    missed++;
  }
  return { time, missed };
}

/** The first schedule time strictly after `after`. */
export function nextScheduleTime(
  schedule: string,
  timeZone: string | undefined,
  after: number,
): number | undefined {
  const form = standardForm(schedule);
  if (typeof form !== "string") return undefined;
  return CronExpressionParser.parse(form, { currentDate: new Date(after), tz: timeZone ?? "UTC" })
    .next()
    .getTime();
}
