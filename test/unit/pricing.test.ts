import { calcPrice } from '@pydantic/genai-prices';
import { costMicros } from '../../core/pricing';

/** The cached linear fast path must price exactly as genai-prices does, and step aside where it cannot. */
describe('pricing', () => {
  const cases: Array<[string, string, string]> = [
    ['OPENAI', 'openai', 'gpt-5'],
    ['OPENAI', 'openai', 'gpt-4o-mini'],
    ['ANTHROPIC', 'anthropic', 'claude-opus-4-8'],
    ['ANTHROPIC', 'anthropic', 'claude-sonnet-4-5'], // tiered above 200k tokens: falls back to calcPrice
    ['ANTHROPIC', 'anthropic', 'claude-haiku-4-5'],
    ['GEMINI', 'google', 'gemini-2.5-flash'],
    ['GEMINI', 'google', 'gemini-2.5-pro'],
    ['OPENROUTER', 'openrouter', 'anthropic/claude-sonnet-4.5'],
  ];

  it.each(cases)('%s %s: matches calcPrice to the micro-dollar on random usage (incl. cache reads/writes and >200k prompts)', (kind, providerId, model) => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const at = new Date('2026-11-25T12:00:00Z');
    for (let i = 0; i < 300; i++) {
      const big = i % 10 === 0;
      const read = rand(big ? 300_000 : 5_000);
      const write = rand(big ? 50_000 : 2_000);
      const input = read + write + rand(big ? 200_000 : 3_000);
      const output = rand(big ? 60_000 : 2_000);
      const expected = calcPrice({ input_tokens: input, cache_read_tokens: read, cache_write_tokens: write, output_tokens: output }, model, { providerId, timestamp: at });
      const got = costMicros({ providerKind: kind, models: [model], usage: { inputTokens: input, cachedInputTokens: read, cacheWriteTokens: write, outputTokens: output }, at });
      if (expected === null) expect(got).toBeNull();
      else expect(Number(got)).toBeCloseTo(Math.round(expected.total_price * 1e6), -0.5);
    }
  });

  it('unknown models are unknown (null), overrides and provider-reported cost win', () => {
    const usage = { inputTokens: 1000, cachedInputTokens: 0, cacheWriteTokens: 0, outputTokens: 10 };
    const at = new Date();
    expect(costMicros({ providerKind: 'OPENAI', models: ['no-such-model-x'], usage, at })).toBeNull();
    expect(costMicros({ providerKind: 'OPENAI', models: ['no-such-model-x'], usage, at })).toBeNull();
    expect(costMicros({ providerKind: 'OPENROUTER', models: ['x/y'], usage, at, providerCostUsd: 0.0123 })).toBe(12_300n);
    const overrides = new Map([['gpt-5', { inputPerMTok: 2_000_000n, outputPerMTok: 8_000_000n, cachedInputPerMTok: null, cacheWritePerMTok: null }]]);
    expect(costMicros({ providerKind: 'OPENAI', models: ['gpt-5'], usage, at, overrides })).toBe(2_080n);
  });
});
