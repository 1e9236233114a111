/** Small text conventions shared by the config editors. */

/** The line terminator new lines should use: CRLF if the file already uses it. */
export function detectEol(text: string): string {
  return text.includes('\r\n') ? '\r\n' : '\n';
}

const BOM = '\uFEFF';

/**
 * Runs an edit on the text without its UTF-8 byte-order mark (which some Windows editors add, and which
 * JSON.parse and the TOML scanner reject) and puts the mark back on the result.
 */
export function preservingBom(text: string, edit: (withoutBom: string) => string): string {
  return text.startsWith(BOM) ? BOM + edit(text.slice(1)) : edit(text);
}
