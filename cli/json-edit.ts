/**
 * Sets a few values inside a JSON settings file, keeping every other key. JSON has no comments to lose, so
 * the file is parsed and re-serialised with its own indentation; when every value is already in place the
 * original text is returned untouched, so a second run is a no-op byte for byte.
 */
import { CliError, messageOf } from './io';
import { detectEol, preservingBom } from './text';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface JsonAssignment {
  path: string[];
  value: string | number | boolean;
}

function isObject(value: JsonValue | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function detectIndent(text: string): string {
  return /^\{[ \t]*\r?\n([ \t]+)\S/.exec(text)?.[1] ?? '  ';
}

/**
 * Returns `text` (a JSON object document, or null/blank for a missing file) with each assignment applied.
 * `label` names the file in error messages. Throws CliError for input that is not a JSON object or where a
 * path runs through a non-object, leaving the decision to the user rather than discarding their value.
 */
export function setJsonValues(text: string | null, assignments: JsonAssignment[], label: string): string {
  if (text === null) return setValues(null, assignments, label);
  return preservingBom(text, (withoutBom) => setValues(withoutBom, assignments, label));
}

function setValues(text: string | null, assignments: JsonAssignment[], label: string): string {
  const blank = text === null || text.trim() === '';
  let root: JsonValue;
  try {
    root = blank ? {} : (JSON.parse(text) as JsonValue);
  } catch (err) {
    throw new CliError(`${label} is not valid JSON (${messageOf(err)}); tailgate left it unchanged. Fix it or move it aside and run again.`);
  }
  if (!isObject(root)) throw new CliError(`${label} does not hold a JSON object; tailgate left it unchanged`);

  let changed = false;
  for (const { path, value } of assignments) {
    let node: JsonObject = root;
    for (const [i, key] of path.slice(0, -1).entries()) {
      const child = node[key];
      if (child === undefined) {
        node[key] = {};
        changed = true;
      } else if (!isObject(child)) {
        const at = path.slice(0, i + 1).join('.');
        throw new CliError(`${label}: "${at}" is not an object; tailgate left the file unchanged`);
      }
      node = node[key] as JsonObject;
    }
    const leaf = path[path.length - 1];
    if (node[leaf] !== value) {
      node[leaf] = value;
      changed = true;
    }
  }
  if (!changed && !blank) return text;

  const serialised = JSON.stringify(root, null, detectIndent(text ?? '')) + '\n';
  const eol = detectEol(text ?? '');
  const withEol = eol === '\n' ? serialised : serialised.replace(/\n/g, eol);
  // Keep a file that had no final newline that way, so the diff shows only the values that changed.
  return !blank && !text.endsWith('\n') ? withEol.slice(0, -eol.length) : withEol;
}
