/**
 * JSON patch (RFC 6902) as the embedded API server applies it: the examples of the RFC's appendix A,
 * the whole patch or nothing, and kube-apiserver's words for a failure (its JSON patch library's),
 * which kubectl prints after "the server rejected our request due to an error in our request".
 */
import { describe, expect, it } from "vitest";
import { applyJsonPatch, JsonPatchError } from "../../src/devcluster/writes/json-patch.js";

const cases: { name: string; doc: unknown; patch: unknown[]; expected: unknown }[] = [
  {
    name: "A.1 add an object member",
    doc: { foo: "bar" },
    patch: [{ op: "add", path: "/baz", value: "qux" }],
    expected: { foo: "bar", baz: "qux" },
  },
  {
    name: "A.2 add an array element",
    doc: { foo: ["bar", "baz"] },
    patch: [{ op: "add", path: "/foo/1", value: "qux" }],
    expected: { foo: ["bar", "qux", "baz"] },
  },
  {
    name: "A.3 remove an object member",
    doc: { baz: "qux", foo: "bar" },
    patch: [{ op: "remove", path: "/baz" }],
    expected: { foo: "bar" },
  },
  {
    name: "A.4 remove an array element",
    doc: { foo: ["bar", "qux", "baz"] },
    patch: [{ op: "remove", path: "/foo/1" }],
    expected: { foo: ["bar", "baz"] },
  },
  {
    name: "A.5 replace a value",
    doc: { baz: "qux", foo: "bar" },
    patch: [{ op: "replace", path: "/baz", value: "boo" }],
    expected: { baz: "boo", foo: "bar" },
  },
  {
    name: "A.6 move a value",
    doc: { foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } },
    patch: [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }],
    expected: { foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } },
  },
  {
    name: "A.7 move an array element",
    doc: { foo: ["all", "grass", "cows", "eat"] },
    patch: [{ op: "move", from: "/foo/1", path: "/foo/3" }],
    expected: { foo: ["all", "cows", "eat", "grass"] },
  },
  {
    name: "A.8 test, success",
    doc: { baz: "qux", foo: ["a", 2, "c"] },
    patch: [
      { op: "test", path: "/baz", value: "qux" },
      { op: "test", path: "/foo/1", value: 2 },
    ],
    expected: { baz: "qux", foo: ["a", 2, "c"] },
  },
  {
    name: "A.10 add a nested member object",
    doc: { foo: "bar" },
    patch: [{ op: "add", path: "/child", value: { grandchild: {} } }],
    expected: { foo: "bar", child: { grandchild: {} } },
  },
  {
    name: "A.14 ~ escape ordering",
    doc: { "/": 9, "~1": 10 },
    patch: [{ op: "test", path: "/~01", value: 10 }],
    expected: { "/": 9, "~1": 10 },
  },
  {
    name: "A.16 add an array value",
    doc: { foo: ["bar"] },
    patch: [{ op: "add", path: "/foo/-", value: ["abc", "def"] }],
    expected: { foo: ["bar", ["abc", "def"]] },
  },
  {
    name: "copy",
    doc: { a: { b: 1 } },
    patch: [{ op: "copy", from: "/a", path: "/c" }],
    expected: { a: { b: 1 }, c: { b: 1 } },
  },
  {
    name: "replace the whole document",
    doc: { a: 1 },
    patch: [{ op: "replace", path: "", value: { b: 2 } }],
    expected: { b: 2 },
  },
];

describe("applyJsonPatch", () => {
  for (const c of cases) {
    it(c.name, () => {
      const before = structuredClone(c.doc);
      expect(applyJsonPatch(c.doc, c.patch)).toEqual(c.expected);
      expect(c.doc, "the target is not changed").toEqual(before);
    });
  }

  it("a copy is its own: changing it later leaves the source alone", () => {
    const out = applyJsonPatch({ a: { b: 1 } }, [
      { op: "copy", from: "/a", path: "/c" },
      { op: "replace", path: "/c/b", value: 2 },
    ]) as { a: { b: number }; c: { b: number } };
    expect(out).toEqual({ a: { b: 1 }, c: { b: 2 } });
  });

  const refused: { name: string; doc: unknown; patch: unknown; message: string }[] = [
    {
      name: "A.9 test, failure",
      doc: { baz: "qux" },
      patch: [{ op: "test", path: "/baz", value: "bar" }],
      message: "testing value /baz failed: test failed",
    },
    {
      name: "A.12 add to a nonexistent target",
      doc: { foo: "bar" },
      patch: [{ op: "add", path: "/baz/bat", value: "qux" }],
      message: 'doc is missing path: "/baz/bat": missing value',
    },
    {
      name: "remove a missing member",
      doc: { foo: "bar" },
      patch: [{ op: "remove", path: "/baz" }],
      message: "Unable to remove nonexistent key: baz: missing value",
    },
    {
      name: "replace a missing member",
      doc: { foo: "bar" },
      patch: [{ op: "replace", path: "/baz", value: 1 }],
      message: 'doc is missing path: "/baz": missing value',
    },
    {
      name: "an index past the end",
      doc: { foo: [1] },
      patch: [{ op: "add", path: "/foo/5", value: 2 }],
      message: 'unable to access invalid index: 5 in "/foo/5"',
    },
    {
      name: "copy from a missing source",
      doc: { a: 1 },
      patch: [{ op: "copy", from: "/nope", path: "/b" }],
      message: 'doc is missing path: "/nope": missing value',
    },
    {
      name: "an unknown op",
      doc: {},
      patch: [{ op: "frobnicate", path: "/a" }],
      message: "Unexpected kind: frobnicate",
    },
    {
      name: "not a list",
      doc: {},
      patch: { op: "add" },
      message: "a JSON patch must be a list of operations",
    },
  ];
  for (const r of refused) {
    it(`refuses: ${r.name}`, () => {
      expect(() => applyJsonPatch(r.doc, r.patch)).toThrow(JsonPatchError);
      expect(() => applyJsonPatch(r.doc, r.patch)).toThrow(r.message);
    });
  }

  it("refuses the whole patch when one operation fails, leaving the target as it was", () => {
    const doc = { a: 1 };
    expect(() =>
      applyJsonPatch(doc, [
        { op: "add", path: "/b", value: 2 },
        { op: "test", path: "/a", value: 9 },
      ]),
    ).toThrow("testing value /a failed");
    expect(doc).toEqual({ a: 1 });
  });
});
