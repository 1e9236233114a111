import type { RequestRecord } from '../../gateway/ledger/record';
import { packRecord, RECORD_WIDTH, unpackRecords } from '../../gateway/ledger/wire';

/** Records cross to the writer thread packed flat; every field must come back as it went in. */
describe('ledger wire', () => {
  // Every field set, each to a value no other field has, so a swapped position cannot pass.
  const full: Required<RequestRecord> = {
    id: '019ac000-0000-7000-8000-000000000001', at: new Date('2026-11-26T03:04:05.678Z'), principalId: 'tag:ci', principalKind: 'TAGGED',
    login: 'ci@example.com', tags: ['tag:ci', 'tag:bot'], displayName: 'CI runner', nodeName: 'runner-7', client: 'claude-code',
    userAgent: 'claude-cli/2.0.1', clientSessionId: 'sess-1', provider: 'anthropic', providerKeyId: 'key-9', model: 'claude-sonnet-4-5',
    upstreamModel: 'claude-sonnet-4-5-20250929', endpoint: 'messages', status: 201, stream: true,
    usage: { inputTokens: 11, outputTokens: 12, cachedInputTokens: 13, cacheWriteTokens: 14, reasoningTokens: 15 },
    usageKnown: false, costMicros: 9_007_199_254_740_993n, latencyMs: 16, ttfbMs: 17, errorClass: 'upstream_reset', tools: [['bash', 2], ['edit', 1]],
  };

  it('packs a record into RECORD_WIDTH values and unpacks it field for field, through a structured clone', () => {
    const packed: unknown[] = [];
    packRecord(full, packed);
    expect(packed).toHaveLength(RECORD_WIDTH);
    // One slot per field, usage's five counted apart: a field added to RequestRecord must be added here.
    expect(RECORD_WIDTH).toBe(Object.keys(full).length - 1 + Object.keys(full.usage).length);
    const [back] = unpackRecords(structuredClone(packed));
    expect(back).toStrictEqual(full);
  });

  it('keeps many records apart, with optional fields left out and a null cost', () => {
    const sparse: RequestRecord = {
      id: '019ac000-0000-7000-8000-000000000002', at: new Date(0), principalId: 'user:a@example.com', principalKind: 'USER', tags: [],
      client: 'other', provider: 'openai', model: 'gpt-5', endpoint: 'chat', status: 200, stream: false,
      usage: { inputTokens: 1, outputTokens: 2, cachedInputTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }, usageKnown: true,
      costMicros: null, latencyMs: 3, tools: [],
    };
    const packed: unknown[] = [];
    for (const r of [sparse, full, sparse]) packRecord(r, packed);
    const back = unpackRecords(structuredClone(packed));
    expect(back).toEqual([sparse, full, sparse]);
    expect(back[0].costMicros).toBeNull();
    expect(back[0].login).toBeUndefined();
  });

  it('refuses a run of values that is not whole records', () => {
    const packed: unknown[] = [];
    packRecord(full, packed);
    expect(() => unpackRecords(packed.slice(1))).toThrow(/not a whole number/);
  });
});
