// Adoption figures derived from the API's answers: new vs returning per day, and distinct active
// principals per week, overall and per client. Pure functions, so the tests can reuse them.

const DAY_MS = 86_400_000;

/** The Monday (UTC) of a YYYY-MM-DD day's week. */
export function weekOf(day) {
  const t = Date.parse(`${day}T00:00:00Z`);
  const weekday = (new Date(t).getUTCDay() + 6) % 7; // Monday 0 … Sunday 6
  return new Date(t - weekday * DAY_MS).toISOString().slice(0, 10);
}

/**
 * Per day: principals whose first request ever fell on that day (new), and the other active
 * principals (returning). `points` are adoption(from, to), `principals` principalAdoption(from, to).
 */
export function newAndReturning(points, principals) {
  const firsts = new Map();
  for (const p of principals) firsts.set(p.firstDay, (firsts.get(p.firstDay) ?? 0) + 1);
  return points.map((point) => {
    const fresh = firsts.get(point.day) ?? 0;
    return { day: point.day, active: point.activePrincipals, new: fresh, returning: point.activePrincipals - fresh };
  });
}

/**
 * Distinct active principals per week (Monday first), overall and by client, from
 * usage(groupBy: [DAY, PRINCIPAL, CLIENT]) rows; `days` is the range's days in order.
 */
export function weeklyActive(rows, days, principals = []) {
  const weeks = [...new Set(days.map(weekOf))];
  const all = new Map(weeks.map((w) => [w, new Set()]));
  const byClient = new Map();
  for (const row of rows) {
    if (row.requests <= 0) continue;
    const week = weekOf(row.day);
    if (!all.has(week)) continue;
    all.get(week).add(row.principal);
    if (!byClient.has(row.client)) byClient.set(row.client, new Map(weeks.map((w) => [w, new Set()])));
    byClient.get(row.client).get(week).add(row.principal);
  }
  const newPerWeek = new Map(weeks.map((w) => [w, 0]));
  for (const p of principals) {
    const week = weekOf(p.firstDay);
    if (newPerWeek.has(week)) newPerWeek.set(week, newPerWeek.get(week) + 1);
  }
  const clients = [...byClient.keys()].sort();
  return {
    weeks,
    active: weeks.map((w) => all.get(w).size),
    new: weeks.map((w) => newPerWeek.get(w)),
    clients: clients.map((client) => ({ client, values: weeks.map((w) => byClient.get(client).get(w).size) })),
  };
}
