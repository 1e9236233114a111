import type { Pool } from 'pg';
import type { Logger } from '../core/logger';
import type { Admission } from '../gateway/quota/admission';
import { QuotaEngine } from '../gateway/quota/engine';
import type { SnapshotStore } from '../gateway/snapshot';

/** Quotas enforced across every gateway process that shares this Postgres. */
export function quotaAdmission(deps: { pool: Pool; snapshot: SnapshotStore; log: Logger; now?: () => Date }): Admission {
  return new QuotaEngine({ pool: deps.pool, snapshot: () => deps.snapshot.current, log: deps.log, now: deps.now });
}
