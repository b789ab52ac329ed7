import { truncate } from "../lib/text.js";
/**
 * Slack text, built so that text from outside cannot become markup. The one place every Slack
 * builder (messages, modals, App Home, digests, `/shgov`, refusals, the weekly report's summary)
 * gets its mrkdwn from.
 *
 * Slack parses `<…>` in every mrkdwn string (section and context text, fields, a message's `text`,
 * which notifications show and which pings too, ephemeral replies, slash-command answers), even
 * inside backticks: `<!channel>`, `<!here>`, `<!everyone>`, `<@U…>` and `<!subteam^S…>` notify
 * people, and `<https://evil.example|AWS console>` is a link whose label lies. A finding's title,
 * ids, account, region, resource, EKS version, a note's author, a suppressor's identity, an
 * exception's justification or a rejection's reason are all written by someone outside the bot, so
 * Slack's rule applies to each of them: `&`, `<` and `>` become `&amp;`, `&lt;` and `&gt;`.
 * `*`, `_`, `~` and backticks only format; Slack has no escape for them and they cannot ping or
 * link, so they are left alone (a title keeps its characters).
 *
 * A `Mrkdwn` value is text that is safe to send as mrkdwn. The only ways to make one:
 * - md`…`: the template's literal parts are the bot's own markup; every interpolated string or
 *   number is escaped, an interpolated `Mrkdwn` is kept as it is;
 * - userMention, usergroupMention, link: the bot's own markup made from an id or a URL, checked
 *   for shape (anything else is shown escaped, not as markup);
 * - raw(…): the bot's own markup that is none of those. Never for a value from outside.
 * The block builders below take a `Mrkdwn`, never a string, so a string cannot reach a mrkdwn field
 * unescaped without a compile error. plain_text (headers, buttons, modal titles, labels, hints,
 * confirmations) is not parsed by Slack: it takes a string as it is, cut to its limit.
 */

/** Text safe to send as Slack mrkdwn; see the module comment for how one is made. */
export class Mrkdwn {
  /** Makes the type nominal: a plain `{ text }` object is not a Mrkdwn. */
  protected readonly kind = "mrkdwn";
  private constructor(readonly text: string) {}

  /** @internal The constructor for this module's helpers; use md`…` or raw(). */
  static trusted(text: string): Mrkdwn {
    return new Mrkdwn(text);
  }

  /** A Mrkdwn in a plain template string is a mistake (it would leave the escaping): use md`…` or `.text`. */
  toString(): string {
    throw new TypeError("Mrkdwn used as a string: compose it with md`…`, or read .text");
  }
}

/** What md`…` accepts: strings and numbers (escaped) and Mrkdwn (kept). */
export type MrkdwnValue = string | number | Mrkdwn;

/** Slack's escaping for text in mrkdwn: `&`, `<` and `>` as entities, nothing else. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function piece(value: MrkdwnValue): string {
  if (value instanceof Mrkdwn) return value.text;
  return escapeMrkdwn(String(value));
}

/** mrkdwn from a template: the literal parts are markup, every interpolated value is escaped. */
export function md(strings: TemplateStringsArray, ...values: MrkdwnValue[]): Mrkdwn {
  let text = strings[0] ?? "";
  for (const [index, value] of values.entries()) text += piece(value) + (strings[index + 1] ?? "");
  return Mrkdwn.trusted(text);
}

/** The bot's own markup, as it is. Never for a value from outside: use md`${value}` for those. */
export function raw(markup: string): Mrkdwn {
  return Mrkdwn.trusted(markup);
}

/** A value as mrkdwn: escaped (a Mrkdwn is kept). */
export function asMrkdwn(value: MrkdwnValue): Mrkdwn {
  return Mrkdwn.trusted(piece(value));
}

/** Parts joined by a separator; strings among the parts are escaped, the separator is markup. */
export function joinMrkdwn(parts: readonly MrkdwnValue[], separator: string): Mrkdwn {
  return Mrkdwn.trusted(parts.map(piece).join(separator));
}

/** A value as inline code: escaped like any other text, since Slack parses `<…>` inside backticks too. */
export function code(value: MrkdwnValue): Mrkdwn {
  return Mrkdwn.trusted(`\`${piece(value)}\``);
}

/** A value in bold. */
export function bold(value: MrkdwnValue): Mrkdwn {
  return Mrkdwn.trusted(`*${piece(value)}*`);
}

/** Shapes of Slack ids: nothing in them can end or extend a mention. */
const SLACK_USER = /^[UW][A-Z0-9_]+$/;
const SLACK_USERGROUP = /^S[A-Z0-9_]+$/;

/**
 * A person as a Slack mention (`<@U…>`) when `user` is a Slack user id; anyone else (a name given
 * with `shgov … --as`) is shown as escaped text, so an actor can never be turned into markup.
 */
export function userMention(user: string): Mrkdwn {
  return SLACK_USER.test(user) ? Mrkdwn.trusted(`<@${user}>`) : asMrkdwn(user);
}

/** A user group's mention (`<!subteam^S…>`), or the id as escaped text when it is not a user group id. */
export function usergroupMention(usergroup: string): Mrkdwn {
  return SLACK_USERGROUP.test(usergroup) ? Mrkdwn.trusted(`<!subteam^${usergroup}>`) : asMrkdwn(usergroup);
}

/** A URL the bot built: http(s), and nothing in it that could end Slack's `<url|label>`. */
const SAFE_URL = /^https?:\/\/[^\s<>|]+$/;

/**
 * A link the bot builds: `<url|label>` with the label escaped (and its line breaks and `|` made
 * spaces, which a label cannot hold). A URL that is not plain http(s) gives the label alone.
 */
export function link(url: string, label: MrkdwnValue): Mrkdwn {
  const shown = label instanceof Mrkdwn ? label.text : escapeMrkdwn(String(label).replace(/[|\r\n]/g, " "));
  if (!SAFE_URL.test(url)) return Mrkdwn.trusted(shown);
  return Mrkdwn.trusted(`<${url}|${shown}>`);
}

/**
 * mrkdwn cut to `max` characters, never inside an entity (`&lt;`) or a tag of the bot's own
 * (`<@U…>`): what is cut is dropped whole, an ellipsis last.
 */
export function truncateMrkdwn(value: Mrkdwn, max: number): Mrkdwn {
  if (value.text.length <= max) return value;
  const cut = value.text
    .slice(0, max - 1)
    .replace(/&[a-z]*$/, "")
    .replace(/<[^>]*$/, "");
  return Mrkdwn.trusted(`${cut}…`);
}

/** A mrkdwn text object, cut to `max`. */
export function mrkdwnText(value: Mrkdwn, max: number) {
  return { type: "mrkdwn" as const, text: truncateMrkdwn(value, max).text };
}

/** A plain_text object: not parsed by Slack, so nothing is escaped; cut to `max`. */
export function plainText(value: string, max: number) {
  return { type: "plain_text" as const, text: truncate(value, max), emoji: true };
}
