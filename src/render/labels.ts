/*
 * The labels of a WebApp's children, each key beside its value. The controller's caches filter on
 * `managedBy`, child events find their WebApp through `instance`, and the selectors stay small because
 * a Deployment's selector can never change.
 */

export const LABELS = {
  name: { key: "app.kubernetes.io/name", value: "webapp" },
  instance: { key: "app.kubernetes.io/instance" },
  component: { key: "app.kubernetes.io/component" },
  managedBy: { key: "app.kubernetes.io/managed-by", value: "webapp-operator" },
  partOf: { key: "app.kubernetes.io/part-of" },
  /** Which worker or scheduled job a pod belongs to (their component label is shared). */
  process: { key: "webapp-operator.dev/process" },
  /** The app version a migration Job and its pods are for. */
  appVersion: { key: "webapp-operator.dev/app-version" },
} as const;

/** Value of app.kubernetes.io/managed-by on every child. */
export const MANAGED_BY = LABELS.managedBy.value;

/** What a child is part of: a tier (`app`, `web`) or a supporting piece. */
export type Component =
  | "app"
  | "web"
  | "config"
  | "static"
  | "media"
  | "ingress"
  | "network"
  | "migrate"
  | "worker"
  | "cron";

/** The labels that select a tier's pods. */
export function tierSelector(webappName: string, tier: "app" | "web" | "worker"): Record<string, string> {
  return {
    [LABELS.name.key]: LABELS.name.value,
    [LABELS.instance.key]: webappName,
    [LABELS.component.key]: tier,
  };
}

/** The labels every child carries. */
export function childLabels(webappName: string, component: Component): Record<string, string> {
  return {
    [LABELS.name.key]: LABELS.name.value,
    [LABELS.instance.key]: webappName,
    [LABELS.component.key]: component,
    [LABELS.managedBy.key]: LABELS.managedBy.value,
    [LABELS.partOf.key]: webappName,
  };
}

/** A selector as the string form the scale subresource and autoscalers read (`status.selector`). */
export function selectorString(selector: Record<string, string>): string {
  return Object.entries(selector)
    .map(([k, v]) => `${k}=${v}`)
    .join(",");
}
