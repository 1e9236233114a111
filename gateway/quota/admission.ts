import type { Principal } from '../../core/principal';

/**
 * Quota admission as the hot path sees it: admit (or throw a quota_exceeded GatewayError) before
 * forwarding, then settle the real usage when the response ends.
 */
export interface AdmissionRequest {
  principal: Principal;
  model: string;
  /** Upper estimate of tokens (prompt estimate + max output) reserved until settlement. */
  estimateTokens: number;
  estimateCostMicros: bigint;
}

export interface AdmissionTicket {
  settle(actual: { tokens: number; costMicros: bigint | null }): void;
}

export interface QuotaStanding {
  quotaId: string;
  subject: string;
  window: string;
  windowEnd: Date;
  usedRequests: number;
  usedTokens: bigint;
  usedCostMicros: bigint;
  maxRequests: number | null;
  maxTokens: bigint | null;
  maxCostMicros: bigint | null;
}

export interface Admission {
  admit(request: AdmissionRequest): Promise<AdmissionTicket>;
  standing(principal: Principal): Promise<QuotaStanding[]>;
  stop(): Promise<void>;
}

const noopTicket: AdmissionTicket = { settle() {} };

export const unlimitedAdmission: Admission = {
  admit: async () => noopTicket,
  standing: async () => [],
  stop: async () => {},
};
