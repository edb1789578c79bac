const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A Go-style duration ("15s", "1m30s", "500ms", "2h") in milliseconds, as controller-runtime's flags
 * take them. Throws with the expected form on anything else.
 */
export function parseDuration(text: string, flag: string): number {
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text) {
    throw new Error(
      `${flag}: "${text}" is not a duration; use a number with a unit, like 500ms, 15s, 10m or 1h`,
    );
  }
  return parts.reduce((ms, p) => ms + Number(p[1]) * (UNITS[p[2] ?? "s"] ?? 1), 0);
}
