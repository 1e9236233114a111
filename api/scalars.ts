import { GraphQLDateTime, GraphQLSafeInt } from 'graphql-scalars';

/**
 * `DateTime`: RFC 3339 in, RFC 3339 UTC out (graphql-scalars). Every `Date` field maps to it through
 * buildSchema's scalarsMap, so resolvers return plain `Date`s.
 */
export const DateTime = GraphQLDateTime;

/**
 * `SafeInt`: integers up to 2^53 - 1. Token counts outgrow GraphQL's 32-bit `Int` within weeks on a
 * busy team; Postgres keeps them as bigint and the API converts with `toSafeNumber`.
 */
export const SafeInt = GraphQLSafeInt;

/** bigint (Postgres bigint / numeric sums) to a JS number for SafeInt/Int fields. */
export function toSafeNumber(value: bigint | number | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'bigint' ? Number(value) : value;
}

/** Integer micro-dollars to US dollars (the API's `costUsd` / `maxCostUsd`). */
export function microsToUsd(micros: bigint | number | null | undefined): number {
  return toSafeNumber(micros) / 1e6;
}

/** US dollars to integer micro-dollars, rounded to the nearest micro-dollar. */
export function usdToMicros(usd: number): bigint {
  return BigInt(Math.round(usd * 1e6));
}
