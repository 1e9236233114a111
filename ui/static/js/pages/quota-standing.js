// Where a principal stands against their quotas: used, limit and remaining per dimension.

import { h } from '../dom.js';
import { dateTime, int, usd } from '../format.js';
import { dataTable } from '../table.js';

export const QUOTA_FIELDS = 'id subject shared window maxRequests maxTokens maxCostUsd models';
export const QUOTA_STATUS_FIELDS = `holder windowStart windowEnd usedRequests usedTokens usedCostUsd remainingRequests remainingTokens remainingCostUsd quota { ${QUOTA_FIELDS} }`;

export const windowName = (w) => ({ MINUTE: 'per minute', HOUR: 'per hour', DAY: 'per day', WEEK: 'per week', MONTH: 'per month' })[w] ?? w;

/** "12 of 100 used, 88 left" with a bar; just "12 used" without a limit. */
function standing(used, limit, remaining, format) {
  if (limit === null || limit === undefined) return h('span', {}, `${format(used)} used`, h('span', { class: 'muted' }, ' (no limit)'));
  const share = limit > 0 ? Math.min(1, used / limit) : 1;
  const fill = h('span', { class: ['meter-fill', share >= 1 ? 'full' : share >= 0.8 ? 'high' : null] });
  fill.style.width = `${(share * 100).toFixed(1)}%`;
  return h('span', { class: 'standing' },
    h('span', {}, `${format(used)} of ${format(limit)} used, `, h('strong', { dataset: { remaining: remaining } }, `${format(remaining)} left`)),
    h('span', { class: 'meter', 'aria-hidden': 'true' }, fill));
}

export function quotaStandingTable(rows, caption) {
  return dataTable({
    caption, stack: true,
    rows,
    empty: 'No quota applies.',
    rowAttrs: (row) => ({ dataset: { quota: row.quota.id } }),
    columns: [
      { key: 'quota', label: 'Quota', rowHeader: true, cell: (r) => `${r.quota.subject} ${windowName(r.quota.window)}${r.quota.shared ? ' (shared)' : ''}` },
      { wrap: true, key: 'models', label: 'Models', cell: (r) => (r.quota.models ?? ['every model']).join(', ') },
      { key: 'holder', label: 'Budget of' },
      { key: 'usedRequests', label: 'Requests', raw: true, cell: (r) => standing(r.usedRequests, r.quota.maxRequests, r.remainingRequests, int) },
      { key: 'usedTokens', label: 'Tokens', raw: true, cell: (r) => standing(r.usedTokens, r.quota.maxTokens, r.remainingTokens, int) },
      { key: 'usedCostUsd', label: 'Spend', raw: true, cell: (r) => standing(r.usedCostUsd, r.quota.maxCostUsd, r.remainingCostUsd, usd) },
      { key: 'windowEnd', label: 'Starts over', format: (v) => dateTime(v) },
    ],
  });
}
