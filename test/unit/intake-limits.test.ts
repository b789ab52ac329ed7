import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLimitProblem, listedErrors, MAX_JSON_DEPTH } from "../../src/intake/limits.js";
import { EXAMPLES, FIXTURES } from "../support/events.js";

describe("intake limits: one pass over the raw text, before JSON.parse", () => {
  it("counts nesting outside strings only: brackets and escaped quotes inside strings do not count", () => {
    expect(jsonLimitProblem(`{"a":"${"[".repeat(100)}"}`)).toBeNull();
    expect(jsonLimitProblem(`{"a":"\\"[[[[","b":[[1]]}`, 2)).toEqual({
      field: "(body)",
      message: "nesting deeper than 2 levels at byte 19",
    });
    // A backslash escaping a backslash closes nothing: the quote after it ends the string.
    expect(jsonLimitProblem(`["\\\\",[[1]]]`, 2)).toEqual({
      field: "(body)",
      message: "nesting deeper than 2 levels at byte 7",
    });
  });

  it("names the UTF-8 byte of the bracket one level too deep, not the UTF-16 index", () => {
    const text = `{"t":"é€😀","x":[[1]]}`;
    // é is 2 bytes for 1 UTF-16 unit, € 3 for 1 and 😀 4 for 2: 5 bytes more than UTF-16 units.
    expect(text.indexOf("[[") + 1).toBe(17);
    expect(jsonLimitProblem(text, 2)?.message).toBe("nesting deeper than 2 levels at byte 22");
  });

  it("allows exactly the limit, refuses one more", () => {
    const at = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`;
    expect(jsonLimitProblem(at(MAX_JSON_DEPTH))).toBeNull();
    expect(jsonLimitProblem(at(MAX_JSON_DEPTH + 1))?.message).toBe(
      `nesting deeper than ${MAX_JSON_DEPTH} levels at byte ${MAX_JSON_DEPTH}`,
    );
  });

  it("counts array items and object members", () => {
    expect(jsonLimitProblem("[1,2,3]", 64, 3)).toBeNull();
    expect(jsonLimitProblem("[1,2,3,4]", 64, 3)?.message).toBe("more than 3 values at byte 6");
    expect(jsonLimitProblem('{"a":1,"b":{"c":2}}', 64, 2)?.message).toBe("more than 2 values at byte 11");
  });

  it("leaves every real event in test/fixtures/aws and examples/events far inside the limits", () => {
    for (const dir of [FIXTURES, EXAMPLES]) {
      for (const name of readdirSync(dir).filter((file) => file.endsWith(".json"))) {
        const text = readFileSync(join(dir, name), "utf8");
        // A quarter of each limit, wrapped in an envelope or not.
        expect(jsonLimitProblem(text, MAX_JSON_DEPTH / 4, 500), name).toBeNull();
      }
    }
  });

  it("lists 20 problems and counts the rest", () => {
    const errors = Array.from({ length: 25 }, (_, i) => ({ field: `f${i}`, message: "bad" }));
    expect(listedErrors(errors.slice(0, 20))).toHaveLength(20);
    const listed = listedErrors(errors);
    expect(listed).toHaveLength(21);
    expect(listed[20]).toEqual({ field: "(more)", message: "5 more problems not listed" });
  });
});
