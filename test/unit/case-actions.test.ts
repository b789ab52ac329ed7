import { describe, expect, it } from "vitest";
import { CaseActionError, parseCaseAction } from "../../src/shell/case-actions.js";

describe("a person's action as it crosses the admin API", () => {
  it("turns a request's day into the end of that day (UTC)", () => {
    expect(
      parseCaseAction({
        action: "exception_request",
        user: "U1",
        team: "platform",
        justification: "why",
        expires: "2027-01-31",
      }),
    ).toMatchObject({ action: "exception_request", expiresAt: "2027-02-01T00:00:00.000Z" });
  });

  it.each([
    [{ action: "date_propose", user: "U1", team: "platform", date: "2026-02-31" }, "date: no such day"],
    [
      { action: "date_propose", user: "U1", team: "platform", date: "next week" },
      "date: expected a date YYYY-MM-DD",
    ],
    [{ action: "claim", user: "", team: "platform" }, "user: must not be empty"],
    [{ action: "approve", user: "U1", team: "platform" }, "action:"],
    [
      {
        action: "exception_request",
        user: "U1",
        team: "platform",
        justification: "a\u0000b",
        expires: "2027-01-01",
      },
      "justification: contains a NUL character",
    ],
    [
      { action: "exception_reject", user: "U1", team: "platform", reason: "cut \ud83d" },
      "reason: contains a lone UTF-16 surrogate",
    ],
  ])("refuses %j naming the field", (action, message) => {
    expect(() => parseCaseAction(action)).toThrow(CaseActionError);
    expect(() => parseCaseAction(action)).toThrow(message);
  });
});
