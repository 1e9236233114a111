import { badInput } from './errors';

const DAY_MS = 86_400_000;
export const DEFAULT_RANGE_DAYS = 30;

/**
 * A time range `[from, to)`. Omitted bounds default to the last 30 days: `to` = now, `from` =
 * 00:00 UTC 29 days before `to`'s day, so the default covers 30 whole UTC days with today last.
 */
export interface TimeRange {
  from: Date;
  to: Date;
}

export function resolveRange(from: Date | null | undefined, to: Date | null | undefined, now: Date): TimeRange {
  const end = to ?? now;
  const start = from ?? new Date(startOfUtcDay(end).getTime() - (DEFAULT_RANGE_DAYS - 1) * DAY_MS);
  if (start.getTime() > end.getTime()) throw badInput('from must not be later than to', 'from');
  return { from: start, to: end };
}

/**
 * The UTC days (YYYY-MM-DD, inclusive) a range touches, for the per-day rollup: a day counts when
 * any part of it lies in `[from, to)`, so a partial first or last day is counted whole.
 * Null when the range is empty.
 */
export function rangeDays(range: TimeRange): { first: string; last: string; count: number } | null {
  if (range.to.getTime() <= range.from.getTime()) return null;
  const first = startOfUtcDay(range.from);
  const last = startOfUtcDay(new Date(range.to.getTime() - 1));
  return { first: utcDay(first), last: utcDay(last), count: Math.round((last.getTime() - first.getTime()) / DAY_MS) + 1 };
}

export function startOfUtcDay(at: Date): Date {
  return new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
}

/** YYYY-MM-DD of a date in UTC. */
export function utcDay(at: Date): string {
  return at.toISOString().slice(0, 10);
}
