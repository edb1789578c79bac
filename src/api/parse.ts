import type { z } from "zod";
import { type WebApp, webAppObject } from "./webapp.js";

export interface FieldError {
  /** Dotted path of the offending field, e.g. `spec.app.workers` or `spec.web.trustedProxies[2]`. */
  path: string;
  /** The rule that was broken, for a user. */
  message: string;
}

export type ParseResult = { ok: true; webapp: WebApp } | { ok: false; errors: FieldError[] };

/** Checks an object (from YAML or the API server) against the WebApp schema. Never throws. */
export function parseWebApp(input: unknown): ParseResult {
  const result = webAppObject.safeParse(input);
  if (result.success) return { ok: true, webapp: result.data };
  return { ok: false, errors: result.error.issues.flatMap(toFieldErrors) };
}

function toFieldErrors(issue: z.core.$ZodIssue): FieldError[] {
  if (issue.code === "unrecognized_keys") {
    return issue.keys.map((key) => ({
      path: formatPath([...issue.path, key]),
      message: "unknown field (check its spelling and indentation)",
    }));
  }
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    // Quantities accept a string or a number: report the string form's rule, the one users meet.
    const first = issue.errors[0]?.[0];
    if (first) return [{ path: formatPath(issue.path), message: first.message }];
  }
  return [{ path: formatPath(issue.path), message: issue.message }];
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(the object)" : out;
}

/** One line per error, `path: message`, for CLIs, Events and conditions. */
export function describeErrors(errors: FieldError[]): string {
  return errors.map((e) => `${e.path}: ${e.message}`).join("; ");
}
