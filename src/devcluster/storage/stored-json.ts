/**
 * The JSON text of stored objects, written once for everybody who needs it in the same turn of the
 * event loop: the answer to the write that stored a version and every watcher's event for it share one
 * serialization instead of making one each. A stored object is frozen and replaced, never changed, so
 * its text cannot go stale; it is kept only for the turn, because a text kept longer is memory the
 * garbage collector has to keep moving, for reads (GET, LIST) that seldom come.
 */

/** Objects the store froze: the only ones whose text may be shared. */
const stored = new WeakSet<object>();
/** This turn's texts. */
let texts = new Map<object, string>();
let clearing = false;

/** Marks a deep-frozen object as stored: its text may be shared from now on. */
export function markStored(obj: object): void {
  stored.add(obj);
}

/** JSON.stringify(value), shared for stored objects within a turn of the event loop. */
export function jsonText(value: unknown): string {
  if (typeof value !== "object" || value === null || !stored.has(value)) return JSON.stringify(value);
  let text = texts.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    texts.set(value, text);
    if (!clearing) {
      clearing = true;
      setImmediate(() => {
        texts = new Map();
        clearing = false;
      });
    }
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
