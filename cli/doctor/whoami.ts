import { z } from 'zod';

/** `GET /v1/tailgate/whoami` (gateway/server.ts): who the gateway thinks the caller is. Unknown fields are ignored. */
const WhoamiQuota = z.object({
  quotaId: z.string(),
  subject: z.string(),
  window: z.string(),
  windowEnd: z.string(),
  usedRequests: z.number(),
  usedTokens: z.number(),
  usedCostUsd: z.number(),
  maxRequests: z.number().nullable(),
  maxTokens: z.number().nullable(),
  maxCostUsd: z.number().nullable(),
});

export const Whoami = z.object({
  principal: z.string(),
  kind: z.string(),
  login: z.string().nullable(),
  tags: z.array(z.string()),
  node: z.string().nullable(),
  role: z.string(),
  /** Model globs from the tailnet policy's app capability; null when the policy sets none. */
  allowedModels: z.array(z.string()).nullable(),
  /** Every model the caller may use right now (keyed providers, filtered by policy and quotas). */
  models: z.array(z.string()),
  quotas: z.array(WhoamiQuota),
});

export type Whoami = z.infer<typeof Whoami>;
export type WhoamiQuota = z.infer<typeof WhoamiQuota>;
