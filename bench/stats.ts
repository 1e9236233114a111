/**
 * Latency samples kept whole (a few hundred thousand doubles at most per figure) so percentiles are
 * exact, in milliseconds with microsecond resolution. autocannon's histogram records whole
 * milliseconds, which rounds every loopback latency to 0 or 1: fine for requests per second, useless
 * for "added latency ≤ 0.15 ms", so latency figures come from the probes in load.ts.
 */
export class Samples {
  private values = new Float64Array(4096);
  private size = 0;
  private sorted = true;

  get count(): number {
    return this.size;
  }

  add(ms: number): void {
    if (this.size === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    this.values[this.size++] = ms;
    this.sorted = false;
  }

  /** Nearest-rank percentile, `p` in [0, 100]; NaN when empty. */
  percentile(p: number): number {
    if (this.size === 0) return Number.NaN;
    if (!this.sorted) {
      this.values.subarray(0, this.size).sort();
      this.sorted = true;
    }
    const rank = Math.min(this.size - 1, Math.max(0, Math.ceil((p / 100) * this.size) - 1));
    return this.values[rank];
  }

  mean(): number {
    if (this.size === 0) return Number.NaN;
    let sum = 0;
    for (let i = 0; i < this.size; i++) sum += this.values[i];
    return sum / this.size;
  }

  summary(): LatencySummary {
    const summary = { count: this.size, p50: round3(this.percentile(50)), p90: round3(this.percentile(90)), p99: round3(this.percentile(99)), max: round3(this.percentile(100)), mean: round3(this.mean()) };
    SAMPLES.set(summary, this);
    return summary;
  }

  /** One set holding every sample of `sets`. */
  static pooled(sets: readonly Samples[]): Samples {
    const pooled = new Samples();
    for (const set of sets) for (let i = 0; i < set.size; i++) pooled.add(set.values[i]);
    return pooled;
  }
}

/** The samples behind each summary, so that rounds can be pooled; kept out of the summary's JSON. */
const SAMPLES = new WeakMap<LatencySummary, Samples>();

/**
 * Percentiles over every request of all the rounds (counts add up; max is the largest of all).
 * A percentile per round and then the median of those lets chance decide a p99: a round lasts
 * ~1.7 s, and whether a stall of the gateway's event loop (a mark-compact GC, or a few ms waiting for
 * a core on a shared machine) lands in it moved Tailgate's 64-connection p99 between 3 and 18 ms
 * from round to round.
 */
export function pooledSummary(list: readonly LatencySummary[]): LatencySummary {
  const sets = list.map((summary) => {
    const set = SAMPLES.get(summary);
    if (!set) throw new Error('pooledSummary: a summary not made by Samples.summary() has no samples to pool');
    return set;
  });
  return Samples.pooled(sets).summary();
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export const round3 = (value: number): number => (Number.isFinite(value) ? Math.round(value * 1000) / 1000 : value);
export const round1 = (value: number): number => (Number.isFinite(value) ? Math.round(value * 10) / 10 : value);
