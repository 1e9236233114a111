import { diffLines, splitLines, unifiedDiff } from '../../cli/diff';

/** Applies a unified diff produced by unifiedDiff, so tests can check hunks are exact, not just plausible. */
function applyUnifiedDiff(before: string, diff: string): string {
  const source = splitLines(before);
  const out: string[] = [];
  let cursor = 0;
  const lines = diff.split('\n');
  let i = 2; // skip ---/+++
  while (i < lines.length && lines[i] !== '') {
    const header = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(lines[i]);
    if (!header) throw new Error(`bad hunk header: ${lines[i]}`);
    const count = header[2] === undefined ? 1 : Number(header[2]);
    const start = count === 0 ? Number(header[1]) : Number(header[1]) - 1;
    while (cursor < start) out.push(source[cursor++]);
    i++;
    while (i < lines.length && /^[ +\-\\]/.test(lines[i])) {
      const line = lines[i];
      const noEol = lines[i + 1] === '\\ No newline at end of file';
      const body = line.slice(1) + (noEol ? '' : '\n');
      if (line[0] === ' ' || line[0] === '-') {
        if (source[cursor] !== body) throw new Error(`context mismatch at ${cursor}: ${JSON.stringify(body)}`);
        cursor++;
      }
      if (line[0] === ' ' || line[0] === '+') out.push(body);
      i += noEol ? 2 : 1;
    }
  }
  while (cursor < source.length) out.push(source[cursor++]);
  return out.join('');
}

describe('unifiedDiff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n', { before: 'x', after: 'x' })).toBe('');
  });

  it('shows one changed line with three lines of context', () => {
    const before = 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n';
    const after = 'l1\nl2\nl3\nl4\nL5\nl6\nl7\nl8\n';
    expect(unifiedDiff(before, after, { before: 'a/f', after: 'b/f' })).toBe(
      ['--- a/f', '+++ b/f', '@@ -2,7 +2,7 @@', ' l2', ' l3', ' l4', '-l5', '+L5', ' l6', ' l7', ' l8', ''].join('\n'),
    );
  });

  it('diffs a new file against /dev/null', () => {
    expect(unifiedDiff('', 'x = 1\n', { before: '/dev/null', after: 'f' })).toBe(
      '--- /dev/null\n+++ f\n@@ -0,0 +1 @@\n+x = 1\n',
    );
  });

  it('marks a missing final newline', () => {
    expect(unifiedDiff('a', 'a\n', { before: 'f', after: 'f' })).toBe(
      '--- f\n+++ f\n@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+a\n',
    );
  });

  it('splits distant changes into separate hunks and the result applies exactly', () => {
    const before = Array.from({ length: 40 }, (_, i) => `line ${i}\n`).join('');
    const after = before.replace('line 3\n', 'LINE 3\n').replace('line 30\n', 'line 30\nadded\n');
    const diff = unifiedDiff(before, after, { before: 'f', after: 'f' });
    expect(diff.match(/^@@/gm)).toHaveLength(2);
    expect(applyUnifiedDiff(before, diff)).toBe(after);
  });

  it('produces diffs that apply, for many pseudo-random edits', () => {
    let seed = 42;
    const random = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    for (let round = 0; round < 200; round++) {
      const a = Array.from({ length: random(30) }, () => `v${random(6)}\n`);
      const b = [...a];
      for (let e = random(6); e > 0; e--) {
        const at = random(b.length + 1);
        if (random(2) === 0 && b.length > 0) b.splice(Math.min(at, b.length - 1), 1);
        else b.splice(at, 0, `n${random(6)}\n`);
      }
      const before = a.join('');
      const after = b.join('');
      const diff = unifiedDiff(before, after, { before: 'f', after: 'f' }, random(4));
      expect(applyUnifiedDiff(before, diff)).toBe(after);
    }
  });

  it('finds a minimal edit script', () => {
    const edits = diffLines(['a', 'b', 'c', 'a', 'b', 'b', 'a'], ['c', 'b', 'a', 'b', 'a', 'c']);
    // Myers' classic example: D = 5.
    expect(edits.filter((e) => e.kind !== 'equal')).toHaveLength(5);
  });
});
