import { describe, expect, it } from "vitest";
import { canonicalJson } from "../../src/lib/canonical-json.js";

describe("canonical JSON", () => {
  it("sorts keys at every depth and leaves arrays in order", () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: "x" } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it("reads back as the same value JSON.stringify would write, undefined dropped as JSON does", () => {
    const value = { s: 'q"uote', n: -1.5, t: true, f: null, u: undefined, list: [undefined, "é"] };
    expect(JSON.parse(canonicalJson(value))).toEqual(JSON.parse(JSON.stringify(value)));
  });
});
