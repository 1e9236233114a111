import { pooledSummary, Samples } from '../../bench/stats';

function round(values: number[]): Samples {
  const samples = new Samples();
  for (const v of values) samples.add(v);
  return samples;
}

describe('bench percentiles across rounds', () => {
  it('are taken over every request of all rounds, so a tail confined to one round is not voted away', () => {
    const calm = () => round(Array.from({ length: 100 }, () => 1));
    // One round with a 20 ms pause that hit 5 of its 100 requests: 5 of 300 overall is above 1 %.
    const paused = round([...Array.from({ length: 95 }, () => 1), 20, 20, 20, 20, 20]);
    const combined = pooledSummary([calm().summary(), paused.summary(), calm().summary()]);
    expect(combined).toEqual({ count: 300, p50: 1, p90: 1, p99: 20, max: 20, mean: 1.317 });
  });

  it('and a pause under 1 % of all requests stays out of the p99 even if it is over 1 % of its round', () => {
    const calm = () => round(Array.from({ length: 100 }, () => 1));
    const paused = round([...Array.from({ length: 98 }, () => 1), 20, 20]);
    const combined = pooledSummary([calm().summary(), paused.summary(), calm().summary()]);
    expect(paused.summary().p99).toBe(20);
    expect(combined.p99).toBe(1);
    expect(combined.max).toBe(20);
  });

  it('summaries carry no samples into the results JSON', () => {
    expect(JSON.parse(JSON.stringify(round([1, 2, 3]).summary()))).toEqual({ count: 3, p50: 2, p90: 3, p99: 3, max: 3, mean: 2 });
  });
});
