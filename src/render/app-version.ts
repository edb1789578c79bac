import { createHash } from "node:crypto";
import type { IContainer } from "kubernetes-models/v1/Container";

/**
 * On the app Deployment: the app version its pod template runs, the last one whose migration
 * succeeded. The controller reads it back to know where a rollout stands, also after a restart.
 */
export const APP_VERSION_ANNOTATION = "webapp-operator.dev/app-version";

/**
 * An app version: a short hash of what a migration sees (the image, its command, env and envFrom).
 * A new version is a new migration Job; anything else about the app (replicas, workers, resources)
 * rolls out without one.
 */
export function appVersion(migration: Pick<IContainer, "image" | "command" | "env" | "envFrom">): string {
  const seen = [migration.image, migration.command ?? [], migration.env ?? [], migration.envFrom ?? []];
  return createHash("sha256").update(canonicalJson(seen)).digest("hex").slice(0, 10);
}

/** JSON with object keys sorted, so the same values always give the same hash. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value);
}
