import { caseRef } from "../engine/case-ref.js";
import { truncate } from "../lib/text.js";
import { findCase, listCases } from "../store/cases.js";
import { SECTION_TEXT_MAX } from "./block-kit.js";
import { caseBlocks } from "./case-message.js";
import { caseLine, listSection } from "./home.js";
import type { ListenerContext } from "./listeners.js";
import { code, md, truncateMrkdwn } from "./mrkdwn.js";

/** `/shgov case <id>` (a case's summary) and `/shgov mine` (the open cases of the caller's teams). */
export function registerShgovCommand(context: ListenerContext): void {
  const { app, actions, membership, log } = context;
  const { db } = actions;

  app.command("/shgov", async ({ ack, command }) => {
    const [verb, ...rest] = command.text.trim().split(/\s+/);
    const user = command.user_id;
    const caseId = verb === "case" && rest.length > 0 ? rest.join(" ") : null;
    try {
      if (caseId !== null) {
        const c = await findCase(db, caseId);
        if (!c) {
          return ack({
            response_type: "ephemeral",
            text: truncateMrkdwn(md`There is no case ${truncate(caseId, 200)}.`, SECTION_TEXT_MAX).text,
          });
        }
        return ack({
          response_type: "ephemeral",
          text: truncateMrkdwn(md`${caseRef(c) ?? truncate(c.id, 1000)}: ${c.title}`, SECTION_TEXT_MAX).text,
          blocks: caseBlocks(c) as never,
        });
      }
      if (verb === "mine") {
        const teams = await membership.teamsOf(user);
        if (teams.length === 0) {
          return ack({ response_type: "ephemeral", text: "You are in no team of the policy." });
        }
        const mine = (await listCases(db, { limit: 1000 })).filter(
          (c) => c.status !== "resolved" && (teams.includes(c.owner) || teams.includes(c.counterpart)),
        );
        const head = md`Open cases of team ${teams.join(", ")} (${mine.length}), by SLA due:`;
        const lines = [
          head,
          ...mine.map((c) => caseLine({ ...c, due: c.slaDueAt ? c.slaDueAt.slice(0, 10) : "no SLA" })),
        ];
        const section = listSection(lines, "");
        return ack({ response_type: "ephemeral", text: section.text.text, blocks: [section] });
      }
      return ack({
        response_type: "ephemeral",
        // `<case id>` is a placeholder, not markup: code() escapes it like any other text.
        text: md`Usage: ${code("/shgov case <case id>")} (a case's summary; SHG-42, 42 or the finding id) or ${code("/shgov mine")} (the cases of your teams).`
          .text,
      });
    } catch (error) {
      log.error(
        { err: error, user, ...(caseId !== null ? { caseId, findingId: caseId } : {}) },
        "/shgov failed",
      );
      return ack({ response_type: "ephemeral", text: "Something went wrong; try again." });
    }
  });
}
