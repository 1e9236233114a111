/**
 * A small unified diff for showing what `--dry-run` would change in a config file. Lines keep their line
 * terminator, so a change of only the final newline (or of CRLF vs LF) still shows up.
 */

type Edit = { kind: 'equal' | 'delete' | 'insert'; line: string };

/** Past this many lines the diff gives up on finding a minimal edit script and shows a full replacement. */
const MAX_DIFF_LINES = 20_000;

export function splitLines(text: string): string[] {
  return text.match(/[^\n]*\n|[^\n]+$/g) ?? [];
}

/**
 * Myers' O((N+M)·D) shortest edit script. Config files are small and the edits tailgate makes touch a few
 * lines, so D stays small; the common prefix and suffix are peeled off first to keep the traces short.
 */
export function diffLines(a: string[], b: string[]): Edit[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (
    suffix < a.length - prefix &&
    suffix < b.length - prefix &&
    a[a.length - 1 - suffix] === b[b.length - 1 - suffix]
  ) {
    suffix++;
  }
  const head: Edit[] = a.slice(0, prefix).map((line) => ({ kind: 'equal', line }));
  const tail: Edit[] = a.slice(a.length - suffix).map((line) => ({ kind: 'equal', line }));
  const midA = a.slice(prefix, a.length - suffix);
  const midB = b.slice(prefix, b.length - suffix);
  return [...head, ...shortestEditScript(midA, midB), ...tail];
}

function shortestEditScript(a: string[], b: string[]): Edit[] {
  const n = a.length;
  const m = b.length;
  if (n === 0 || m === 0 || n + m > MAX_DIFF_LINES) {
    return [
      ...a.map((line): Edit => ({ kind: 'delete', line })),
      ...b.map((line): Edit => ({ kind: 'insert', line })),
    ];
  }
  const max = n + m;
  const offset = max;
  const v = new Int32Array(2 * max + 2);
  const trace: Int32Array[] = [];
  let found = -1;
  for (let d = 0; d <= max && found < 0; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1] < v[offset + k + 1]) ? v[offset + k + 1] : v[offset + k - 1] + 1;
      let y = x - k;
      while (x < n && y < m && a[x] === b[y]) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) {
        found = d;
        break;
      }
    }
  }

  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = found; d >= 0; d--) {
    const prev = trace[d];
    const k = x - y;
    const prevK = k === -d || (k !== d && prev[offset + k - 1] < prev[offset + k + 1]) ? k + 1 : k - 1;
    const prevX = d === 0 ? 0 : prev[offset + prevK];
    const prevY = d === 0 ? 0 : prevX - prevK;
    while (x > prevX && y > prevY) {
      edits.push({ kind: 'equal', line: a[x - 1] });
      x--;
      y--;
    }
    if (d > 0) {
      if (x === prevX) edits.push({ kind: 'insert', line: b[y - 1] });
      else edits.push({ kind: 'delete', line: a[x - 1] });
    }
    x = prevX;
    y = prevY;
  }
  return edits.reverse();
}

function renderLine(prefix: string, line: string): string {
  if (line.endsWith('\n')) return prefix + line;
  return `${prefix}${line}\n\\ No newline at end of file\n`;
}

function hunkRange(start: number, count: number): string {
  // Unified-diff convention: an empty range names the line before it.
  if (count === 0) return `${start},0`;
  return count === 1 ? `${start + 1}` : `${start + 1},${count}`;
}

export interface DiffLabels {
  /** Shown after `---`; use '/dev/null' for a file that does not exist yet. */
  before: string;
  /** Shown after `+++`; use '/dev/null' for a file that will be deleted. */
  after: string;
}

/** Unified diff of two texts (3 lines of context), or '' when they are equal. */
export function unifiedDiff(before: string, after: string, labels: DiffLabels, context = 3): string {
  if (before === after) return '';
  const edits = diffLines(splitLines(before), splitLines(after));

  // Positions (in both files) of each edit, so hunks can be cut out of the edit list by index.
  const posA: number[] = [];
  const posB: number[] = [];
  let ia = 0;
  let ib = 0;
  for (const e of edits) {
    posA.push(ia);
    posB.push(ib);
    if (e.kind !== 'insert') ia++;
    if (e.kind !== 'delete') ib++;
  }

  const out: string[] = [`--- ${labels.before}\n`, `+++ ${labels.after}\n`];
  let i = 0;
  while (i < edits.length) {
    while (i < edits.length && edits[i].kind === 'equal') i++;
    if (i >= edits.length) break;
    const start = Math.max(0, i - context);
    // Extend the hunk while the next change is close enough that the contexts would touch.
    let end = i;
    let lastChange = i;
    while (end < edits.length) {
      if (edits[end].kind !== 'equal') lastChange = end;
      else if (end - lastChange > 2 * context) break;
      end++;
    }
    end = Math.min(edits.length, lastChange + context + 1);
    const slice = edits.slice(start, end);
    const countA = slice.filter((e) => e.kind !== 'insert').length;
    const countB = slice.filter((e) => e.kind !== 'delete').length;
    out.push(`@@ -${hunkRange(posA[start], countA)} +${hunkRange(posB[start], countB)} @@\n`);
    for (const e of slice) {
      out.push(renderLine(e.kind === 'equal' ? ' ' : e.kind === 'delete' ? '-' : '+', e.line));
    }
    i = end;
  }
  return out.join('');
}
