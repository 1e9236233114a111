/**
 * Quota windows are UTC calendar windows: a MINUTE/HOUR/DAY starts on its boundary, a WEEK on
 * Monday 00:00 UTC (ISO weeks), a MONTH on the 1st 00:00 UTC. Calendar windows (not sliding ones)
 * are what finance reports use, and they make "retry after" a definite instant.
 */
export type QuotaWindowKind = 'MINUTE' | 'HOUR' | 'DAY' | 'WEEK' | 'MONTH';

export function windowStart(kind: QuotaWindowKind, at: Date): Date {
  const t = new Date(at.getTime());
  switch (kind) {
    case 'MINUTE':
      t.setUTCSeconds(0, 0);
      return t;
    case 'HOUR':
      t.setUTCMinutes(0, 0, 0);
      return t;
    case 'DAY':
      t.setUTCHours(0, 0, 0, 0);
      return t;
    case 'WEEK': {
      t.setUTCHours(0, 0, 0, 0);
      const sinceMonday = (t.getUTCDay() + 6) % 7;
      t.setUTCDate(t.getUTCDate() - sinceMonday);
      return t;
    }
    case 'MONTH':
      return new Date(Date.UTC(t.getUTCFullYear(), t.getUTCMonth(), 1));
  }
}

export function windowEnd(kind: QuotaWindowKind, at: Date): Date {
  const start = windowStart(kind, at);
  switch (kind) {
    case 'MINUTE':
      return new Date(start.getTime() + 60_000);
    case 'HOUR':
      return new Date(start.getTime() + 3_600_000);
    case 'DAY':
      return new Date(start.getTime() + 86_400_000);
    case 'WEEK':
      return new Date(start.getTime() + 7 * 86_400_000);
    case 'MONTH':
      return new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + 1, 1));
  }
}

/** The budget holder of a quota for a principal: the principal itself, or "*" for a shared budget. */
export const quotaHolder = (shared: boolean, principalId: string): string => (shared ? '*' : principalId);
