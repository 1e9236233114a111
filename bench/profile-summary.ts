import { readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * `node dist/bench/profile-summary.js <file.cpuprofile> [top]`: where a V8 CPU profile (from
 * `node --cpu-prof`, e.g. BENCH_PROFILE=1 npm run bench) spends its time, as self time per function
 * and per package or source folder. Enough to find hot-path waste without a browser.
 */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function summarize(profile: CpuProfile, top = 30): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(profile.samples[i], (selfUs.get(profile.samples[i]) ?? 0) + delta);
  }
  let total = 0;
  let idle = 0;
  const functions = new Map<string, number>();
  const places = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    total += us;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    const where = frame.url ? `${shorten(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'} ${where}`.trim();
    functions.set(name, (functions.get(name) ?? 0) + us);
    const place = frame.url ? placeOf(frame.url) : frame.functionName;
    places.set(place, (places.get(place) ?? 0) + us);
  }
  const busy = total - idle;
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  const lines = [`busy ${(busy / 1e6).toFixed(2)} s of ${(total / 1e6).toFixed(2)} s sampled`, '', 'self time by package / folder:'];
  for (const [place, us] of [...places].sort((a, b) => b[1] - a[1]).slice(0, 20)) lines.push(`${pct(us)}  ${place}`);
  lines.push('', `self time by function (top ${top}):`);
  for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) lines.push(`${pct(us)}  ${name}`);
  return lines.join('\n');
}

function shorten(url: string): string {
  const at = url.lastIndexOf('node_modules/');
  if (at >= 0) return url.slice(at + 'node_modules/'.length);
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? url.slice(dist + 1) : url.replace(/^file:\/\//, '');
}

function placeOf(url: string): string {
  const at = url.lastIndexOf('node_modules/');
  if (at >= 0) {
    const rest = url.slice(at + 'node_modules/'.length).split('/');
    return rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  }
  if (url.startsWith('node:')) return url.split('/')[0].replace(/^node:/, 'node:') + (url.includes('internal/') ? ` ${url.split('/').slice(1, 3).join('/')}` : '');
  const dist = url.indexOf('/dist/');
  return dist >= 0 ? path.dirname(url.slice(dist + 1)) : url;
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: node dist/bench/profile-summary.js <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  process.stdout.write(`${summarize(JSON.parse(readFileSync(file, 'utf8')) as CpuProfile, Number(process.argv[3] ?? 30))}\n`);
}
