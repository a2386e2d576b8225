/**
 * JSON the way Go's encoding/json prints it for Syncthing: 2-space indent, a trailing newline, and
 * `<`, `>`, `&`, U+2028, U+2029 escaped. Those characters can only occur inside strings in JSON
 * text, so escaping them in the finished text is safe. Key order is the caller's: build Go maps
 * with sorted keys and Go structs in declaration order.
 */
const HTML_SAFE = /[<>&\u2028\u2029]/g;
const ESCAPES: Record<string, string> = {
  '<': '\\u003c',
  '>': '\\u003e',
  '&': '\\u0026',
  '\u2028': '\\u2028',
  '\u2029': '\\u2029',
};

/** The value as Go's MarshalIndent(v, "", "  ") would print it, without the trailing newline. */
export function goJsonText(value: unknown): string {
  const text = JSON.stringify(value === undefined ? null : value, null, 2);
  return text.replace(HTML_SAFE, (c) => ESCAPES[c]!);
}

/** The value on one line with Go's escaping (for formats that are line-based, such as event streams). */
export function goJsonCompact(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value).replace(HTML_SAFE, (c) => ESCAPES[c]!);
}

/** A complete response body: the indented JSON plus one newline. */
export function goJsonBody(value: unknown): string {
  return goJsonText(value) + '\n';
}

/** The value's JSON nested `level` levels deep (continuation lines indented by 2 × level spaces). */
export function goJsonNested(value: unknown, level: number): string {
  return goJsonText(value).replace(/\n/g, '\n' + '  '.repeat(level));
}
