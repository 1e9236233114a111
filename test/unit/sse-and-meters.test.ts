import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createAnthropicMeter } from '../../gateway/providers/anthropic/usage';
import { createGeminiMeter } from '../../gateway/providers/gemini/usage';
import { createOpenAiMeter } from '../../gateway/providers/openai/usage';
import type { ResponseMeter } from '../../gateway/providers/types';
import { SseParser, type SseEvent } from '../../gateway/sse';

/** Recorded-shape streams, fed to the parser split at every byte offset. */
const ANTHROPIC_STREAM = [
  'event: message_start',
  'data: {"type":"message_start","message":{"id":"msg_1","model":"claude-opus-4-8","content":[],"usage":{"input_tokens":12,"cache_creation_input_tokens":100,"cache_read_input_tokens":200,"output_tokens":1}}}',
  '',
  'event: ping',
  'data: {"type":"ping"}',
  '',
  'event: content_block_start',
  'data: {"type":"content_block_start","index":0,"content_block":{"type":"tool_use","id":"toolu_1","name":"Read","input":{}}}',
  '',
  'event: content_block_delta',
  'data: {"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":"{\\"file_"}}',
  '',
  'event: message_delta',
  'data: {"type":"message_delta","delta":{"stop_reason":"tool_use"},"usage":{"output_tokens":57}}',
  '',
  'event: message_stop',
  'data: {"type":"message_stop"}',
  '',
  '',
].join('\n');

// Google separates events with CRLF; usageMetadata is a running total.
const GEMINI_STREAM = [
  'data: {"candidates":[{"content":{"role":"model","parts":[{"text":"h"}]}}],"usageMetadata":{"promptTokenCount":40,"cachedContentTokenCount":10},"modelVersion":"gemini-2.5-flash"}',
  '',
  'data: {"candidates":[{"content":{"role":"model","parts":[{"functionCall":{"name":"read_file","args":{}}}]},"finishReason":"STOP"}],"usageMetadata":{"promptTokenCount":40,"cachedContentTokenCount":10,"candidatesTokenCount":3,"thoughtsTokenCount":4,"totalTokenCount":47}}',
  '',
  '',
].join('\r\n');

const OPENAI_STREAM = [
  'data: {"id":"c1","object":"chat.completion.chunk","model":"gpt-5","choices":[{"index":0,"delta":{"role":"assistant","content":""}}],"usage":null}',
  '',
  ': OPENROUTER PROCESSING',
  '',
  'data: {"id":"c1","model":"gpt-5","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]}}],"usage":null}',
  '',
  'data: {"id":"c1","model":"gpt-5","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\\"lo"}}]}}],"usage":null}',
  '',
  'data: {"id":"c1","model":"gpt-5","choices":[],"usage":{"prompt_tokens":20,"completion_tokens":5,"prompt_tokens_details":{"cached_tokens":8},"completion_tokens_details":{"reasoning_tokens":2}}}',
  '',
  'data: [DONE]',
  '',
  '',
].join('\n');

function feed(stream: string, meter: ResponseMeter, split: number[]): SseEvent[] {
  const events: SseEvent[] = [];
  const parser = new SseParser((event) => {
    events.push(event);
    meter.onEvent(event);
  });
  const bytes = Buffer.from(stream);
  let at = 0;
  for (const cut of [...split, bytes.length]) {
    parser.push(bytes.subarray(at, cut));
    at = cut;
  }
  parser.end();
  return events;
}

describe('SSE parser and usage meters', () => {
  it.each([
    ['anthropic', ANTHROPIC_STREAM, () => createAnthropicMeter('messages'), { inputTokens: 312, cachedInputTokens: 200, cacheWriteTokens: 100, outputTokens: 57, reasoningTokens: 0 }, ['Read', 1]],
    ['gemini', GEMINI_STREAM, () => createGeminiMeter('streamGenerateContent'), { inputTokens: 40, cachedInputTokens: 10, cacheWriteTokens: 0, outputTokens: 7, reasoningTokens: 4 }, ['read_file', 1]],
    ['openai', OPENAI_STREAM, () => createOpenAiMeter('chat'), { inputTokens: 20, cachedInputTokens: 8, cacheWriteTokens: 0, outputTokens: 5, reasoningTokens: 2 }, ['get_weather', 1]],
  ] as const)('%s: same events and usage whatever the chunking (every split point, and every pair)', (_name, stream, makeMeter, usage, tool) => {
    const reference = feed(stream, makeMeter(), []);
    const length = Buffer.byteLength(stream);
    for (let cut = 0; cut <= length; cut++) {
      const meter = makeMeter();
      expect(feed(stream, meter, [cut])).toEqual(reference);
      const result = meter.result();
      expect(result.usage).toEqual(usage);
      expect(result.usageKnown).toBe(true);
      expect([...result.tools.entries()]).toEqual([tool]);
    }
    for (let a = 0; a < length; a += 7) {
      for (let b = a; b <= length; b += 11) expect(feed(stream, makeMeter(), [a, b])).toEqual(reference);
    }
    const byteByByte = makeMeter();
    feed(stream, byteByByte, Array.from({ length }, (_, i) => i));
    expect(byteByByte.result().usage).toEqual(usage);
  });

  it('drops a line longer than the limit instead of growing without bound', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e), 1024);
    parser.push(Buffer.from(`data: ${'x'.repeat(5000)}`));
    parser.push(Buffer.from(`${'y'.repeat(5000)}\n\ndata: ok\n\n`));
    parser.end();
    expect(events).toEqual([{ event: 'message', data: 'ok' }]);
    expect(parser.overlongLines).toBe(1);
  });

  it('handles CR-only line endings split between chunks', () => {
    const events: SseEvent[] = [];
    const parser = new SseParser((e) => events.push(e));
    parser.push(Buffer.from('event: a\rdata: 1\r'));
    parser.push(Buffer.from('\r\ndata: 2\r\n\r\n'));
    parser.end();
    expect(events).toEqual([{ event: 'a', data: '1' }, { event: 'message', data: '2' }]);
  });

  it('an Anthropic stream cut before message_delta is flagged as usage unknown', () => {
    const meter = createAnthropicMeter('messages');
    feed(ANTHROPIC_STREAM.slice(0, ANTHROPIC_STREAM.indexOf('event: message_delta')), meter, []);
    expect(meter.result().usageKnown).toBe(false);
    expect(meter.result().usage.inputTokens).toBe(312);
  });

  it('captured Claude Code request bodies carry the session marker the meter reads', () => {
    const lines = readFileSync(path.join(__dirname, '..', 'fixtures', 'captures', 'claude-code.jsonl'), 'utf8').split('\n').filter(Boolean);
    const posts = lines.map((l) => JSON.parse(l) as { method: string; headers: Record<string, string>; body: { metadata?: { user_id?: string } } }).filter((r) => r.method === 'POST');
    for (const post of posts) expect(JSON.parse(post.body.metadata!.user_id!).session_id).toBe(post.headers['X-Claude-Code-Session-Id']);
  });
});
