// Shaping GraphQL usage rows for charts and tables: pure functions of the API's answers.

/** One series per value of `dimension`, one number (row[metric] summed) per day in `days`. */
export function seriesByDay(rows, days, dimension, metric) {
  const index = new Map(days.map((day, i) => [day, i]));
  const byName = new Map();
  for (const row of rows) {
    const i = index.get(row.day);
    if (i === undefined) continue;
    const name = row[dimension] ?? '(none)';
    if (!byName.has(name)) byName.set(name, days.map(() => 0));
    byName.get(name)[i] += metric(row);
  }
  return [...byName.entries()].map(([name, values]) => ({ name, values }));
}

export const tokensOf = (row) => row.inputTokens + row.outputTokens;

/** Rows sorted by cost, then requests, then name: what "top" means on the overview. */
export function byCost(rows, nameKey) {
  return [...rows].sort((a, b) => b.costUsd - a.costUsd || b.requests - a.requests || String(a[nameKey]).localeCompare(String(b[nameKey])));
}

export const USAGE_FIELDS = 'requests errors inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens costUsd';
