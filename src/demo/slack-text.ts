/**
 * Slack messages as readable text, for the demo: what a person would see in the channel, without
 * Slack. Pure: blocks in, lines out.
 */

export const BLOCK_KIT_BUILDER = "https://app.slack.com/block-kit-builder/#";

/** A link that opens the blocks in Slack's Block Kit Builder, to see them as Slack draws them. */
export function blockKitBuilderUrl(blocks: unknown[]): string {
  return BLOCK_KIT_BUILDER + encodeURIComponent(JSON.stringify({ blocks }));
}

type TextObject = { type?: unknown; text?: unknown };

/** mrkdwn as plain text: `*bold*` and `` `code` `` marks dropped, `<@U1>` and `<!subteam^S1>` as @names, `&amp;` decoded. */
export function mrkdwnText(text: string): string {
  return text
    .replace(/<!subteam\^([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => `@${label ?? id}`)
    .replace(/<@([A-Z0-9]+)(?:\|([^>]*))?>/g, (_m, id: string, label?: string) => `@${label ?? id}`)
    .replace(/<(https?:[^|>]+)\|([^>]+)>/g, "$2 ($1)")
    .replace(/<(https?:[^>]+)>/g, "$1")
    .replace(/\*([^*\n]+)\*/g, "$1")
    .replace(/`([^`\n]+)`/g, "$1")
    .replaceAll("&lt;", "<")
    .replaceAll("&gt;", ">")
    .replaceAll("&amp;", "&");
}

function textOf(value: unknown): string {
  if (!value || typeof value !== "object") return "";
  const t = value as TextObject;
  return typeof t.text === "string" ? (t.type === "mrkdwn" ? mrkdwnText(t.text) : t.text) : "";
}

/**
 * The blocks as lines: a section's text line by line, its fields on one line ("Label: value" joined
 * with " · "), a context's elements on one line, an actions block's buttons as `[Claim] [Reject]`.
 */
export function slackText(blocks: unknown[]): string[] {
  const lines: string[] = [];
  for (const block of blocks) {
    if (!block || typeof block !== "object") continue;
    const b = block as { type?: unknown; text?: unknown; fields?: unknown; elements?: unknown };
    switch (b.type) {
      case "section": {
        const text = textOf(b.text);
        if (text) lines.push(...text.split("\n").filter((line) => line.trim() !== ""));
        if (Array.isArray(b.fields) && b.fields.length > 0) {
          lines.push(
            b.fields
              .map((field) => {
                const [label, ...rest] = textOf(field).split("\n");
                return rest.length > 0 ? `${label}: ${rest.join(" ")}` : (label ?? "");
              })
              .join(" · "),
          );
        }
        break;
      }
      case "context": {
        const elements = Array.isArray(b.elements) ? b.elements.map(textOf).filter(Boolean) : [];
        if (elements.length > 0) lines.push(elements.join(" "));
        break;
      }
      case "actions": {
        const buttons = Array.isArray(b.elements)
          ? b.elements.map((element) => `[${textOf((element as { text?: unknown }).text)}]`)
          : [];
        if (buttons.length > 0) lines.push(buttons.join(" "));
        break;
      }
      case "header":
        lines.push(textOf(b.text));
        break;
      case "divider":
        lines.push("---");
        break;
      default:
        break;
    }
  }
  return lines;
}
