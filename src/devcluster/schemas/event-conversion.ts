/**
 * events.k8s.io/v1 Events are the core v1 Events seen through another shape, as on a real server: one
 * storage (the core bucket), converted field by field on the way in and out, so an event written through
 * either API is read through both.
 */
import type { ResourceType } from "../storage/resource-type.js";
import type { KubeObject } from "../types.js";

/** events.k8s.io/v1 field -> core v1 field (upstream's conversion functions). */
const RENAMED: [events: string, core: string][] = [
  ["regarding", "involvedObject"],
  ["note", "message"],
  ["reportingController", "reportingComponent"],
  ["deprecatedSource", "source"],
  ["deprecatedFirstTimestamp", "firstTimestamp"],
  ["deprecatedLastTimestamp", "lastTimestamp"],
  ["deprecatedCount", "count"],
];

function rename(obj: KubeObject, apiVersion: string, pairs: [from: string, to: string][]): KubeObject {
  const out: KubeObject = { ...obj, apiVersion };
  for (const [from, to] of pairs) {
    delete out[to];
    if (obj[from] !== undefined) out[to] = obj[from];
    delete out[from];
  }
  return out;
}

const toCore = (obj: KubeObject) => rename(obj, "v1", RENAMED);
const toEvents = (obj: KubeObject) =>
  rename(
    obj,
    "events.k8s.io/v1",
    RENAMED.map(([events, core]) => [core, events]),
  );

/** Points events.k8s.io/v1 Events at the core Events' storage, converting between the two shapes. */
export function withSharedEventStorage(rt: ResourceType): ResourceType {
  if (rt.group !== "events.k8s.io" || rt.kind !== "Event" || rt.crdName) return rt;
  rt.storageKey = "/events";
  rt.storageVersion = "v1";
  rt.conversion = { toStorage: toCore, fromStorage: toEvents };
  return rt;
}
