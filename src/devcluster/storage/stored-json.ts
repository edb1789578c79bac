/**
 * The JSON text of stored objects, written at most once per object version. A stored object is frozen
 * and replaced, never changed, so its text is too: the answer to the write that stored it, every
 * watcher's event, GETs and LIST items all share one serialization instead of making one each.
 */

/** Stored objects, with their text once somebody asked for it. */
const texts = new WeakMap<object, string | undefined>();

/** Marks a deep-frozen object as stored: its text may be kept from now on. */
export function markStored(obj: object): void {
  if (!texts.has(obj)) texts.set(obj, undefined);
}

/** JSON.stringify(value), remembered for stored objects. */
export function jsonText(value: unknown): string {
  if (typeof value !== "object" || value === null || !texts.has(value)) return JSON.stringify(value);
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
  }
  return text;
}

/**
 * JSON.stringify of `{...envelope, items}` (a List), byte for byte, with the items' texts shared. The
 * envelope's keys come first, then `items`, as the real server orders a list.
 */
export function listJsonText(envelope: Record<string, unknown>, items: readonly unknown[]): string {
  const head = JSON.stringify(envelope);
  const parts = new Array<string>(items.length);
  // JSON.stringify writes an undefined item as null.
  for (let i = 0; i < items.length; i++) parts[i] = jsonText(items[i]) ?? "null";
  return `${head.slice(0, -1)}${head.length > 2 ? "," : ""}"items":[${parts.join(",")}]}`;
}
