import type { ClientName } from '../meter/client';
import type { Usage } from '../providers/types';

/** One model call, as the ledger stores it. Prompt and completion text are never part of it. */
export interface RequestRecord {
  id: string;
  at: Date;
  principalId: string;
  principalKind: 'USER' | 'TAGGED' | 'DEV';
  login?: string;
  tags: string[];
  displayName?: string;
  nodeName?: string;
  client: ClientName;
  userAgent?: string;
  clientSessionId?: string;
  provider: string;
  providerKeyId?: string;
  model: string;
  upstreamModel?: string;
  endpoint: string;
  status: number;
  stream: boolean;
  usage: Usage;
  usageKnown: boolean;
  costMicros: bigint | null;
  latencyMs: number;
  ttfbMs?: number;
  errorClass?: string;
  tools: Array<[string, number]>;
}

/** A token count as the ledger stores it (a bigint column): whole and never negative. */
export const storedTokens = (n: number): number => Math.max(0, Math.floor(n));

/** How many tool calls a record made, across all its tools (the requests.tool_calls column). */
export function toolCallCount(r: RequestRecord): number {
  let calls = 0;
  for (const [, n] of r.tools) calls += n;
  return calls;
}

export interface Recorder {
  record(record: RequestRecord): void;
}
