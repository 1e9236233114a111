import { randomUUID } from 'node:crypto';
import type { Prisma } from '../../../core/db/client';

/**
 * A history of model calls written the way the ledger writes it (requests, tool_calls, sessions
 * and the usage_daily rollup, consistently), on UTC days before today, so the live calls a test
 * sends through the gateway today add to it without touching the same rows. The shape is chosen
 * for the adoption page: a regular, a principal who tried it and did not come back, one who came
 * back, and one too new to tell.
 */
export interface SeedCall {
  id: string;
  at: Date;
  principal: string;
  client: string;
  provider: string;
  model: string;
  session: string;
  status: number;
  input: bigint;
  output: bigint;
  cached: bigint;
  costMicros: bigint;
  latencyMs: number;
  tools: Record<string, number>;
}

const DAY_MS = 86_400_000;

export const PRINCIPALS = {
  bob: 'user:bob@example.com',
  carol: 'user:carol@example.com',
  dan: 'user:dan@example.com',
  erin: 'user:erin@example.com',
  ci: 'tag:ci',
};

const MODELS: [string, string][] = [['claude-sonnet-4-5', 'anthropic'], ['gpt-5', 'openai'], ['gemini-2.5-pro', 'gemini'], ['claude-haiku-4-5', 'anthropic']];
const TOOLS = ['Bash', 'Read', 'Edit', 'Grep', 'exec_command'];

/** Who was active on which day (days before today) with which client. */
const PLAN: { principal: string; client: string; daysAgo: number[] }[] = [
  // A regular since long before the default range.
  { principal: PRINCIPALS.bob, client: 'claude-code', daysAgo: [80, 60, 45, 29, 27, 22, 20, 16, 13, 9, 8, 6, 5, 2, 1] },
  { principal: PRINCIPALS.bob, client: 'codex', daysAgo: [12, 3] },
  // Tried it on two days four weeks ago, never came back: the adoption page's "did not come back".
  { principal: PRINCIPALS.carol, client: 'gemini-cli', daysAgo: [27, 26] },
  // First use 25 days ago, used again in the 14 days after the first week: came back.
  { principal: PRINCIPALS.dan, client: 'codex', daysAgo: [25, 15, 4] },
  // Started three days ago: too early to tell.
  { principal: PRINCIPALS.erin, client: 'gemini-cli', daysAgo: [3, 1] },
  // A CI bot on an SDK, every few days.
  { principal: PRINCIPALS.ci, client: 'openai-sdk', daysAgo: [28, 24, 21, 18, 14, 11, 7, 4, 2, 1] },
];

/** Deterministic pseudo-random numbers (mulberry32), so failures reproduce. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function makeHistory(now = new Date()): SeedCall[] {
  const rand = prng(10);
  const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
  const calls: SeedCall[] = [];
  for (const plan of PLAN) {
    for (const daysAgo of plan.daysAgo) {
      // One session a day per principal and client, 2–6 calls a few minutes apart.
      const session = `seed-${plan.principal.replace(/[^a-z0-9]/gi, '')}-${plan.client}-${daysAgo}`;
      let at = today - daysAgo * DAY_MS + (8 + Math.floor(rand() * 8)) * 3_600_000;
      const n = 2 + Math.floor(rand() * 5);
      for (let i = 0; i < n; i++) {
        const [model, provider] = MODELS[Math.floor(rand() * MODELS.length)];
        const tools: Record<string, number> = {};
        for (const tool of TOOLS) if (rand() < 0.35) tools[tool] = 1 + Math.floor(rand() * 3);
        const input = BigInt(500 + Math.floor(rand() * 40_000));
        calls.push({
          id: randomUUID(), at: new Date(at), principal: plan.principal, client: plan.client, provider, model, session,
          status: rand() < 0.08 ? 429 : 200,
          input, output: BigInt(50 + Math.floor(rand() * 4000)), cached: BigInt(Math.floor(Number(input) * rand() * 0.6)),
          costMicros: BigInt(1000 + Math.floor(rand() * 250_000)), latencyMs: 300 + Math.floor(rand() * 9000), tools,
        });
        at += (1 + Math.floor(rand() * 9)) * 60_000;
      }
    }
  }
  return calls.sort((a, b) => a.at.getTime() - b.at.getTime());
}

const sum = (calls: SeedCall[], field: 'input' | 'output' | 'cached' | 'costMicros'): bigint => calls.reduce((n, c) => n + c[field], 0n);

export async function seedHistory(prisma: Prisma, calls: SeedCall[]): Promise<void> {
  await prisma.requestRecord.createMany({
    data: calls.map((c) => ({
      id: c.id, at: c.at, principalId: c.principal, client: c.client, sessionId: c.session, provider: c.provider, model: c.model,
      endpoint: c.provider === 'anthropic' ? 'messages' : 'chat', status: c.status, stream: true, inputTokens: c.input, outputTokens: c.output,
      cachedInputTokens: c.cached, costMicros: c.costMicros, latencyMs: c.latencyMs, ttfbMs: Math.floor(c.latencyMs / 4),
      toolCalls: Object.values(c.tools).reduce((a, b) => a + b, 0), errorClass: c.status >= 400 ? 'rate_limited' : null,
    })),
  });
  await prisma.toolCall.createMany({
    data: calls.flatMap((c) => Object.entries(c.tools).map(([tool, n]) => ({ requestId: c.id, sessionId: c.session, principalId: c.principal, at: c.at, tool, calls: n }))),
  });
  const sessions = new Map<string, SeedCall[]>();
  for (const c of calls) sessions.set(c.session, [...(sessions.get(c.session) ?? []), c]);
  await prisma.session.createMany({
    data: [...sessions.entries()].map(([id, cs]) => ({
      id, principalId: cs[0].principal, client: cs[0].client, models: [...new Set(cs.map((c) => c.model))].sort(),
      startedAt: cs[0].at, lastSeenAt: cs[cs.length - 1].at, requests: cs.length,
      inputTokens: sum(cs, 'input'), outputTokens: sum(cs, 'output'), cachedInputTokens: sum(cs, 'cached'), costMicros: sum(cs, 'costMicros'),
    })),
  });
  const rollup = new Map<string, SeedCall[]>();
  for (const c of calls) {
    const key = [c.at.toISOString().slice(0, 10), c.principal, c.model, c.provider, c.client].join('|');
    rollup.set(key, [...(rollup.get(key) ?? []), c]);
  }
  await prisma.usageDaily.createMany({
    data: [...rollup.entries()].map(([key, cs]) => {
      const [day, principalId, model, provider, client] = key.split('|');
      return {
        day: new Date(`${day}T00:00:00Z`), principalId, model, provider, client, requests: cs.length, errors: cs.filter((c) => c.status >= 400).length,
        inputTokens: sum(cs, 'input'), outputTokens: sum(cs, 'output'), cachedInputTokens: sum(cs, 'cached'), costMicros: sum(cs, 'costMicros'),
      };
    }),
  });
}
