/**
 * Text from a filter — an abort message, a filter process's stderr — reaches terminals
 * and logs only through here: a filter nobody vetted must not drive the terminal with
 * escape sequences or forge log lines.
 */

/** Longest text from a filter kept in a message. */
const MAX_FILTER_TEXT = 300;

/**
 * Text that came from a filter (its abort message), made safe for a terminal or a log:
 * control characters — escape sequences, newlines that would forge log lines — shown as
 * `\xNN`, and the length capped.
 */
export function filterText(text: string): string {
  const safe = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return safe.length > MAX_FILTER_TEXT ? `${safe.slice(0, MAX_FILTER_TEXT)}… (${safe.length - MAX_FILTER_TEXT} more characters)` : safe;
}
