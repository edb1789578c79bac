/**
 * managedFields' field sets: the fieldsV1 encoding against a plain reference (a tree sorted level by
 * level, "." first for a member with children), the round trip, and the sharing of a stored set's
 * encoding (an owner a write leaves alone keeps the very same frozen fieldsV1).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { JsonObject } from "../../src/devcluster/types.js";
import { FieldSet } from "../../src/devcluster/writes/fieldset.js";

/** The encoding as the real server writes it, built the obvious way. */
function referenceEncoding(paths: string[][]): JsonObject {
  const root: JsonObject = {};
  const members = new Set(paths.map((p) => JSON.stringify(p)));
  for (const p of paths) {
    let node = root;
    for (const el of p) {
      node[el] ??= {};
      node = node[el] as JsonObject;
    }
  }
  const sortLevel = (node: JsonObject, path: string[]): JsonObject => {
    const out: JsonObject = {};
    const keys = Object.keys(node).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    if (keys.length > 0 && members.has(JSON.stringify(path))) out["."] = {};
    for (const k of keys) out[k] = sortLevel(node[k] as JsonObject, [...path, k]);
    return out;
  };
  return sortLevel(root, []);
}

/** Exact JSON text: key order included. */
const text = (v: unknown) => JSON.stringify(v);

// Elements as managedFields writes them, with characters that sort around the separator and ".".
const element = fc.oneof(
  fc.constantFrom("f:metadata", "f:spec", "f:a", "f:a.b", "f:a0", "f:b", 'k:{"name":"web"}', 'v:"x"'),
  fc.string({ maxLength: 4 }).map((s) => `f:${s}`),
  fc.constantFrom("f:\u0001", "f:\t", "f:é", "f:\u{1F600}"),
);
const pathSets = fc.array(fc.array(element, { minLength: 1, maxLength: 4 }), { maxLength: 25 });

describe("field set encoding", () => {
  it("writes fieldsV1 as the reference does, key order included", () => {
    fc.assert(
      fc.property(pathSets, (paths) => {
        expect(text(FieldSet.ofPaths(paths).toFieldsV1())).toBe(text(referenceEncoding(paths)));
      }),
      { numRuns: 500 },
    );
  });

  it("reads back the set it wrote", () => {
    fc.assert(
      fc.property(pathSets, (paths) => {
        const set = FieldSet.ofPaths(paths);
        expect(FieldSet.fromFieldsV1(set.toFieldsV1()).equals(set)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it("marks a member that has children with a '.' entry, before the children", () => {
    const set = FieldSet.ofPaths([
      ["f:metadata", "f:labels"],
      ["f:metadata", "f:labels", "f:app"],
      ["f:spec"],
    ]);
    expect(text(set.toFieldsV1())).toBe(
      text({ "f:metadata": { "f:labels": { ".": {}, "f:app": {} } }, "f:spec": {} }),
    );
  });

  it("reads a stored (frozen) fieldsV1 once, and gives an unchanged set its stored encoding back", () => {
    const stored = Object.freeze({ "f:spec": Object.freeze({ "f:replicas": Object.freeze({}) }) });
    const set = FieldSet.fromFieldsV1(stored);
    expect(FieldSet.fromFieldsV1(stored)).toBe(set);
    expect(set.toFieldsV1()).toBe(stored);
    // Set operations that change nothing keep the set, and with it the stored encoding.
    expect(set.difference(new FieldSet()).toFieldsV1()).toBe(stored);
    expect(set.union(FieldSet.ofPaths([["f:spec", "f:replicas"]])).toFieldsV1()).toBe(stored);
    // One that changes something makes a new encoding.
    const grown = set.union(FieldSet.ofPaths([["f:spec", "f:paused"]]));
    expect(grown.toFieldsV1()).toEqual({ "f:spec": { "f:paused": {}, "f:replicas": {} } });
    expect(() => set.add(["f:spec", "f:paused"])).toThrow(/cannot change/);
  });

  it("does not remember a fieldsV1 that is not frozen (a client's, which may change)", () => {
    const sent: JsonObject = { "f:spec": { "f:replicas": {} } };
    const first = FieldSet.fromFieldsV1(sent);
    (sent["f:spec"] as JsonObject)["f:paused"] = {};
    const second = FieldSet.fromFieldsV1(sent);
    expect(second).not.toBe(first);
    expect(second.size).toBe(2);
  });
});
