/**
 * A layout scanner for TOML 1.0 documents: it splits a file into statements (blank lines, comments, table
 * headers, key/value pairs) with their exact character offsets, so an editor can change one value or insert
 * one line and leave every other byte alone. It checks only as much syntax as it needs to find statement
 * boundaries without being fooled by strings, multi-line strings or multi-line arrays; it does not build values.
 */

export type TomlStatementKind = 'blank' | 'comment' | 'table' | 'array-table' | 'keyvalue';

export interface TomlStatement {
  kind: TomlStatementKind;
  /** Offset of the first character of the statement's first line. */
  start: number;
  /** Offset just past the statement's line terminator (or the end of the text). */
  end: number;
  /** Table path for headers, key path (dotted keys split, quotes removed) for key/values, else []. */
  key: string[];
  /** For key/values: the value's span, without surrounding whitespace or a trailing comment. */
  valueStart: number;
  valueEnd: number;
  /** 1-based line number of `start`, for messages. */
  line: number;
}

export class TomlSyntaxError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const BARE_KEY = /[A-Za-z0-9_-]/;

class Scanner {
  pos = 0;
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
  }

  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  fail(message: string, at = this.pos): never {
    throw new TomlSyntaxError(message, this.lineAt(at));
  }

  peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }

  atEnd(): boolean {
    return this.pos >= this.text.length;
  }

  atNewline(): boolean {
    return this.peek() === '\n' || (this.peek() === '\r' && this.peek(1) === '\n');
  }

  skipSpaces(): void {
    while (this.peek() === ' ' || this.peek() === '\t') this.pos++;
  }

  /** Whitespace, newlines and comments, as allowed between array elements. */
  skipSpacesNewlinesComments(): void {
    for (;;) {
      this.skipSpaces();
      if (this.atNewline()) this.pos += this.peek() === '\r' ? 2 : 1;
      else if (this.peek() === '#') this.skipComment();
      else return;
    }
  }

  skipComment(): void {
    while (!this.atEnd() && !this.atNewline()) this.pos++;
  }

  /** After a header or value: optional spaces and comment, then a newline or the end of the text. */
  finishLine(): void {
    this.skipSpaces();
    if (this.peek() === '#') this.skipComment();
    if (this.atEnd()) return;
    if (!this.atNewline()) this.fail(`unexpected '${this.peek()}' after the value`);
    this.pos += this.peek() === '\r' ? 2 : 1;
  }

  parseKey(): string[] {
    const parts = [this.parseSimpleKey()];
    for (;;) {
      const save = this.pos;
      this.skipSpaces();
      if (this.peek() !== '.') {
        this.pos = save;
        return parts;
      }
      this.pos++;
      this.skipSpaces();
      parts.push(this.parseSimpleKey());
    }
  }

  parseSimpleKey(): string {
    const c = this.peek();
    if (c === '"') return this.readBasicString();
    if (c === "'") return this.readLiteralString();
    const start = this.pos;
    while (BARE_KEY.test(this.peek())) this.pos++;
    if (this.pos === start) this.fail(c === '' ? 'expected a key' : `expected a key, found '${c}'`);
    return this.text.slice(start, this.pos);
  }

  /** A single-line "basic" string; returns its decoded value. */
  readBasicString(): string {
    const start = this.pos;
    this.pos++;
    let value = '';
    for (;;) {
      const c = this.peek();
      if (c === '' || c === '\n' || c === '\r') this.fail('unterminated string', start);
      this.pos++;
      if (c === '"') return value;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const e = this.peek();
      this.pos++;
      const simple: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', '"': '"', '\\': '\\' };
      if (e in simple) value += simple[e];
      else if (e === 'u' || e === 'U') {
        const len = e === 'u' ? 4 : 8;
        const hex = this.text.slice(this.pos, this.pos + len);
        if (!/^[0-9A-Fa-f]+$/.test(hex) || hex.length !== len) this.fail('bad unicode escape in string');
        value += String.fromCodePoint(parseInt(hex, 16));
        this.pos += len;
      } else this.fail(`bad escape '\\${e}' in string`);
    }
  }

  readLiteralString(): string {
    const start = this.pos;
    this.pos++;
    const close = this.text.indexOf("'", this.pos);
    const newline = this.text.indexOf('\n', this.pos);
    if (close < 0 || (newline >= 0 && newline < close)) this.fail('unterminated string', start);
    const value = this.text.slice(this.pos, close);
    this.pos = close + 1;
    return value;
  }

  /** A multi-line string opened by three `quote`s; the closing run may hold up to two extra quotes. */
  skipMultilineString(quote: '"' | "'"): void {
    const start = this.pos;
    this.pos += 3;
    for (;;) {
      const c = this.peek();
      if (c === '') this.fail('unterminated multi-line string', start);
      if (quote === '"' && c === '\\') {
        this.pos += 2;
        continue;
      }
      if (c === quote) {
        let run = 0;
        while (this.peek(run) === quote) run++;
        if (run >= 3) {
          this.pos += Math.min(run, 5);
          return;
        }
        this.pos += run;
        continue;
      }
      this.pos++;
    }
  }

  skipValue(): void {
    const c = this.peek();
    if (c === '"') {
      if (this.text.startsWith('"""', this.pos)) this.skipMultilineString('"');
      else this.readBasicString();
    } else if (c === "'") {
      if (this.text.startsWith("'''", this.pos)) this.skipMultilineString("'");
      else this.readLiteralString();
    } else if (c === '[') {
      this.skipArray();
    } else if (c === '{') {
      this.skipInlineTable();
    } else {
      // Numbers, booleans and date-times. A local date-time may contain one space ("1979-05-27 07:32:00"),
      // so scan to a delimiter and trim, rather than stopping at the first space.
      const start = this.pos;
      while (!this.atEnd() && !this.atNewline() && !',]}#'.includes(this.peek())) this.pos++;
      while (this.pos > start && (this.text[this.pos - 1] === ' ' || this.text[this.pos - 1] === '\t')) this.pos--;
      if (this.pos === start) this.fail('expected a value');
    }
  }

  skipArray(): void {
    const start = this.pos;
    this.pos++;
    for (;;) {
      this.skipSpacesNewlinesComments();
      if (this.atEnd()) this.fail('unterminated array', start);
      if (this.peek() === ']') {
        this.pos++;
        return;
      }
      this.skipValue();
      this.skipSpacesNewlinesComments();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== ']') this.fail('expected , or ] in array');
    }
  }

  skipInlineTable(): void {
    const start = this.pos;
    this.pos++;
    for (;;) {
      // TOML 1.0 keeps inline tables on one line; accepting newlines here too costs nothing and is what
      // TOML 1.1 allows.
      this.skipSpacesNewlinesComments();
      if (this.atEnd()) this.fail('unterminated inline table', start);
      if (this.peek() === '}') {
        this.pos++;
        return;
      }
      this.parseKey();
      this.skipSpaces();
      if (this.peek() !== '=') this.fail("expected '=' in inline table");
      this.pos++;
      this.skipSpaces();
      this.skipValue();
      this.skipSpacesNewlinesComments();
      if (this.peek() === ',') this.pos++;
      else if (this.peek() !== '}') this.fail('expected , or } in inline table');
    }
  }

  statement(): TomlStatement {
    const start = this.pos;
    const line = this.lineAt(start);
    const base = { start, line, key: [] as string[], valueStart: -1, valueEnd: -1 };
    this.skipSpaces();
    if (this.atEnd() || this.atNewline()) {
      this.finishLine();
      return { ...base, kind: 'blank', end: this.pos };
    }
    if (this.peek() === '#') {
      this.skipComment();
      this.finishLine();
      return { ...base, kind: 'comment', end: this.pos };
    }
    if (this.peek() === '[') {
      const isArray = this.peek(1) === '[';
      this.pos += isArray ? 2 : 1;
      this.skipSpaces();
      const key = this.parseKey();
      this.skipSpaces();
      const close = isArray ? ']]' : ']';
      if (!this.text.startsWith(close, this.pos)) this.fail(`expected '${close}' to close the table header`);
      this.pos += close.length;
      this.finishLine();
      return { ...base, kind: isArray ? 'array-table' : 'table', key, end: this.pos };
    }
    const key = this.parseKey();
    this.skipSpaces();
    if (this.peek() !== '=') this.fail(`expected '=' after the key '${key.join('.')}'`);
    this.pos++;
    this.skipSpaces();
    const valueStart = this.pos;
    this.skipValue();
    const valueEnd = this.pos;
    this.finishLine();
    return { ...base, kind: 'keyvalue', key, valueStart, valueEnd, end: this.pos };
  }
}

/** Splits a TOML document into statements covering the whole text, in order. Throws TomlSyntaxError. */
export function scanToml(text: string): TomlStatement[] {
  const scanner = new Scanner(text);
  const statements: TomlStatement[] = [];
  while (!scanner.atEnd()) statements.push(scanner.statement());
  return statements;
}

/** A TOML basic string holding `value`. */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += ch;
  }
  return `${out}"`;
}
