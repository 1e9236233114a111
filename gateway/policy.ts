import { globMatches, subjectMatches, type Principal } from '../core/principal';
import { GatewayError } from './errors';
import type { QuotaEntry } from './snapshot';

/**
 * May this caller use this model? Two sources, both must allow it: the model globs in the tailnet
 * policy's app capability (on the principal), and the `models` of every quota that applies.
 */
export function isModelAllowed(principal: Principal, model: string, quotas: readonly QuotaEntry[]): boolean {
  if (principal.allowedModels && !principal.allowedModels.some((glob) => globMatches(glob, model))) return false;
  for (const quota of quotas) {
    if (quota.models.length === 0 || !subjectMatches(quota.subject, principal)) continue;
    if (!quota.models.some((glob) => globMatches(glob, model))) return false;
  }
  return true;
}

export function assertModelAllowed(principal: Principal, model: string, quotas: readonly QuotaEntry[]): void {
  if (!isModelAllowed(principal, model, quotas)) {
    throw new GatewayError('model_not_allowed', `model ${JSON.stringify(model)} is not allowed for ${principal.id} by the gateway's policy; GET /v1/models lists the models you may use`);
  }
}
