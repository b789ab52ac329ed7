/** A plain string cut to `max` characters, an ellipsis last. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
