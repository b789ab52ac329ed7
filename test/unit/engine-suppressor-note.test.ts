import { describe, expect, it } from "vitest";
import { NOTE_IDENTITY } from "../../src/engine/inputs.js";
import { examplePolicy, finding, givenWhen } from "../support/engine.js";
import { echo, play, seen } from "../support/engine-steps.js";

const policy = examplePolicy();
const TITLE = finding().title;
const T0 = "2026-11-02T00:00:00.000Z";
const T1 = "2026-11-03T09:00:00.000Z";
const T2 = "2026-11-03T09:00:30.000Z";
const CONSOLE_USER = "arn:aws:sts::111111111111:assumed-role/PlatformAdmin/alice";

const opened = () => play(policy, [[T0, seen(T0)]]);
const suppressedWithNote = seen(T1, {
  workflowStatus: "SUPPRESSED",
  note: { text: "Will upgrade next quarter", updatedBy: CONSOLE_USER },
});

describe("engine: the note of a suppressing version, for when the finding history is not asked", () => {
  it("given a suppression whose note a person wrote, when it is blocked, then the lookup carries who the note names", () => {
    const { effects } = givenWhen(policy, opened().events, suppressedWithNote, T1);
    expect(effects).toContainEqual(
      expect.objectContaining({ kind: "securityhub.find_suppressor", noteBy: CONSOLE_USER }),
    );
  });

  it("given a suppression that still carries the bot's own note, when it is blocked, then the lookup names nobody", () => {
    const first = play(policy, [[T1, suppressedWithNote]], opened().events);
    // The revert comes back with the bot's note; then someone suppresses again without writing one.
    const back = play(
      policy,
      [["2026-11-03T10:00:00.000Z", echo(first.state, "2026-11-03T10:00:00.000Z")]],
      first.events,
    );
    const own = back.state.lastBotUpdate?.note ?? "";
    const again = seen("2026-11-04T00:00:00.000Z", {
      workflowStatus: "SUPPRESSED",
      note: { text: own, updatedBy: "securityhub-governor" },
    });
    const { effects } = givenWhen(policy, back.events, again, "2026-11-04T00:00:00.000Z");
    const lookup = effects.find((effect) => effect.kind === "securityhub.find_suppressor");
    expect(lookup).toBeDefined();
    expect(lookup).not.toHaveProperty("noteBy");
  });

  it("given a block, when the answer is only the note's word (a dry run), then the teams are told who, and that it is the note's word", () => {
    const blocked = play(policy, [[T1, suppressedWithNote]], opened().events);
    const { events, effects, after } = givenWhen(
      policy,
      blocked.events,
      {
        type: "suppressor_found",
        suppressedBy: CONSOLE_USER,
        suppressedByType: NOTE_IDENTITY,
        suppressedAt: null,
        error: `dry run: GetFindingHistory was not called; the finding's note names ${CONSOLE_USER}`,
      },
      T2,
    );
    expect(events).toMatchObject([
      {
        type: "suppression.attributed",
        reason: `dry run: GetFindingHistory was not called; the finding's note names ${CONSOLE_USER}`,
        suppressedBy: CONSOLE_USER,
        suppressedByType: "FINDING_NOTE",
      },
    ]);
    expect(effects).toEqual([
      expect.objectContaining({
        kind: "notify",
        topic: "suppression.blocked",
        text: `Suppression blocked: ${CONSOLE_USER} (named by the finding's note, not confirmed by GetFindingHistory) set "${TITLE}" (arn:aws:eks:us-east-1:111111111111:cluster/prod) to SUPPRESSED without an approved exception. The bot set it back to NOTIFIED. Team platform owns it; to suppress it, request an exception.`,
      }),
    ]);
    expect(after?.suppression).toMatchObject({
      suppressedBy: CONSOLE_USER,
      suppressedByType: "FINDING_NOTE",
    });
  });
});
