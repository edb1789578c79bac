/** `kubectl get events` columns as the real server prints core/v1 Events (printEvent). */
import { age } from "../time-format.js";
import { isObject, type KubeObject } from "../types.js";
import { col } from "./table-column.js";

export const eventTable = {
  columns: [
    col("Last Seen", "The time of the last occurrence of the event."),
    col("Type", "Type of this event (Normal, Warning), new types could be added in the future."),
    col(
      "Reason",
      "This should be a short, machine understandable string that gives the reason for the transition into the object's current status.",
    ),
    col("Object", "The object that this event is about."),
    col("Subobject", "The subobject (a container of a pod) this event is about.", "string", 1),
    col("Source", "The component reporting this event.", "string", 1),
    col("Message", "A human-readable description of the status of this operation."),
    col("First Seen", "The time at which the event was first recorded.", "string", 1),
    col("Count", "The number of times this event has occurred.", "string", 1),
    col("Name", "Name must be unique within a namespace.", "string", 1),
  ],
  cells: (e: KubeObject): unknown[] => {
    const involved = isObject(e.involvedObject) ? e.involvedObject : {};
    const source = isObject(e.source) ? e.source : {};
    const last = e.lastTimestamp ?? e.eventTime ?? e.metadata.creationTimestamp;
    const count = typeof e.count === "number" ? e.count : 1;
    const lastSeen =
      count > 1 && e.firstTimestamp ? `${age(last)} (x${count} over ${age(e.firstTimestamp)})` : age(last);
    return [
      lastSeen,
      e.type ?? "",
      e.reason ?? "",
      `${String(involved.kind ?? "").toLowerCase()}/${involved.name ?? ""}`,
      involved.fieldPath ?? "",
      [source.component, source.host].filter(Boolean).join(", "),
      e.message ?? "",
      age(e.firstTimestamp ?? e.metadata.creationTimestamp),
      count,
      e.metadata.name,
    ];
  },
};
