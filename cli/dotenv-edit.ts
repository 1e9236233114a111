/**
 * Sets variables in a dotenv file (the `KEY=value` format the `dotenv` package reads), line by line: other
 * lines, comments and ordering are kept.
 */
import { CliError } from './io';
import { detectEol } from './text';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** True when a quoted value opens on this line but does not close on it (dotenv allows multi-line values). */
function opensMultilineValue(value: string): boolean {
  const trimmed = value.trimStart();
  const quote = trimmed[0];
  if (quote !== '"' && quote !== "'" && quote !== '`') return false;
  for (let i = 1; i < trimmed.length; i++) {
    if (trimmed[i] === '\\') i++;
    else if (trimmed[i] === quote) return false;
  }
  return true;
}

/**
 * Returns `text` with each `KEY=value` set. Every existing assignment of a key is rewritten (dotenv lets the
 * last one win, so leaving an older one could shadow ours); a missing key is appended. Values must not need
 * quoting (the callers pass URLs and placeholders). `label` names the file in error messages.
 */
export function setDotenvValues(text: string | null, entries: Array<[key: string, value: string]>, label: string): string {
  const source = text ?? '';
  const eol = detectEol(source);
  const lines = source.length === 0 ? [] : source.split(/\r?\n/);
  // split() leaves one empty string after a final newline; put it back at the end.
  const hadFinalNewline = source.endsWith('\n');
  if (hadFinalNewline) lines.pop();

  let appended = false;
  for (const [key, value] of entries) {
    if (!/^[^\s#'"`=]+$/.test(value)) throw new Error(`dotenv value for ${key} would need quoting`);
    const pattern = new RegExp(`^(\\s*)(export\\s+)?${escapeRegExp(key)}\\s*=(.*)$`);
    let found = false;
    for (let i = 0; i < lines.length; i++) {
      const match = pattern.exec(lines[i]);
      if (!match) continue;
      if (opensMultilineValue(match[3])) {
        throw new CliError(`${label}: ${key} has a multi-line value on line ${i + 1}; tailgate left the file unchanged`);
      }
      found = true;
      lines[i] = `${match[1]}${match[2] ?? ''}${key}=${value}`;
    }
    if (!found) {
      lines.push(`${key}=${value}`);
      appended = true;
    }
  }

  // A file that lacked a final newline keeps lacking it, unless a line was appended after its last line.
  return lines.join(eol) + (lines.length > 0 && (hadFinalNewline || appended) ? eol : '');
}
