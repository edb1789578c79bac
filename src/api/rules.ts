import type { z } from "zod";

/**
 * A cross-field rule written once and enforced twice: as a CEL `x-kubernetes-validations` rule in the
 * CRD (so the API server refuses the object) and as a zod refinement (so `render`, the controller and
 * clusters with an older CRD get the same answer, with the same message).
 */
export interface CrossFieldRule<T> {
  /** The CEL expression, evaluated with `self` bound to the object the rule is attached to. */
  cel: string;
  /** Shown to the user by both the API server and the CLI. */
  message: string;
  /** Field the message is reported against, relative to the object (e.g. `.command`). */
  fieldPath?: string;
  /** The same rule in TypeScript, on the parsed (defaulted) value. */
  holds: (value: T) => boolean;
}

export function withRules<S extends z.ZodType>(schema: S, rules: CrossFieldRule<z.output<S>>[]): S {
  const validations = rules.map((r) => ({
    rule: r.cel,
    message: r.message,
    ...(r.fieldPath ? { fieldPath: r.fieldPath } : {}),
  }));
  const refined = schema.check((ctx) => {
    for (const r of rules) {
      if (!r.holds(ctx.value as z.output<S>)) {
        ctx.issues.push({
          code: "custom",
          message: r.message,
          input: ctx.value,
          path: r.fieldPath ? r.fieldPath.replace(/^\./, "").split(".") : [],
        });
      }
    }
  });
  return refined.meta({ "x-kubernetes-validations": validations }) as S;
}
