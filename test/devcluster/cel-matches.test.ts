/** CEL's matches() with compiled patterns kept: the same verdicts every time, for any number of patterns. */
import { describe, expect, it } from "vitest";
import { validateCel } from "../../src/devcluster/schemas/cel.js";
import type { Schema } from "../../src/devcluster/schemas/structural-schema.js";

const fixedPattern: Schema = {
  type: "object",
  properties: { host: { type: "string" } },
  "x-kubernetes-validations": [
    { rule: "self.host.matches('^[a-z]+\\\\.example\\\\.com$')", message: "bad host" },
  ],
};

const patternFromObject: Schema = {
  type: "object",
  properties: { value: { type: "string" }, pattern: { type: "string" } },
  "x-kubernetes-validations": [{ rule: "self.value.matches(self.pattern)", message: "no match" }],
};

describe("CEL matches()", () => {
  it("gives the same verdict however often a pattern is used", () => {
    for (let i = 0; i < 3; i++) {
      expect(validateCel({ host: "shop.example.com" }, undefined, fixedPattern)).toEqual([]);
      expect(validateCel({ host: "Shop.example.com" }, undefined, fixedPattern)).toEqual([
        { type: "FieldValueInvalid", field: "<root>", value: "object", detail: "bad host" },
      ]);
    }
  });

  it("keeps working with more patterns than it remembers", () => {
    for (let i = 0; i < 1200; i++) {
      const pattern = `^item-${i}$`;
      expect(validateCel({ value: `item-${i}`, pattern }, undefined, patternFromObject)).toEqual([]);
      expect(validateCel({ value: `item-${i + 1}`, pattern }, undefined, patternFromObject)).toHaveLength(1);
    }
  });

  it("reports a pattern that does not compile as the rule's error", () => {
    const errs = validateCel({ value: "x", pattern: "(" }, undefined, patternFromObject);
    expect(errs).toHaveLength(1);
    expect(errs[0]!.detail).toMatch(/evaluating rule: self\.value\.matches\(self\.pattern\)$/);
  });
});
