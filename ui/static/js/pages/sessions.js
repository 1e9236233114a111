// Sessions: who worked with which client and models, how much, for how long. Filterable by
// principal (admins) and client, paged with the API's keyset cursor, downloadable as CSV.

import { gql } from '../api.js';
import { toCsv, downloadCsv } from '../csv.js';
import { h, replace } from '../dom.js';
import { clientName, dateTime, duration, int, usd } from '../format.js';
import { rangeFrom, rangePicker, rangeSearch } from '../range.js';
import { dataTable } from '../table.js';
import { actionButton, field, pageHeader, statusLine } from './common.js';

const SESSION_FIELDS = 'id principal client models requests inputTokens outputTokens cachedInputTokens costUsd startedAt lastSeenAt';
const PAGE_QUERY = `query Sessions($first: Int, $after: String, $principal: String, $client: String, $from: DateTime, $to: DateTime) {
  sessions(first: $first, after: $after, principal: $principal, client: $client, from: $from, to: $to) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges { node { ${SESSION_FIELDS} } }
  }
}`;
const CLIENTS_QUERY = 'query SessionClients($from: DateTime, $to: DateTime) { usage(from: $from, to: $to, groupBy: [CLIENT]) { client } }';
const PAGE_SIZES = [25, 50, 100];
const CSV_MAX_ROWS = 10_000;

export const sessionHref = (id) => `/ui/session?id=${encodeURIComponent(id)}`;
const shortId = (id) => (id.length > 14 ? `${id.slice(0, 12)}…` : id);

export async function render({ main, me, params, navigate, signal }) {
  const range = rangeFrom(params);
  const size = PAGE_SIZES.includes(Number(params.get('size'))) ? Number(params.get('size')) : PAGE_SIZES[0];
  const filters = { principal: me.isAdmin ? params.get('principal') || null : null, client: params.get('client') || null };
  const go = (query) => {
    const search = new URLSearchParams(rangeSearch(query.range || query.from ? pick(query, ['range', 'from', 'to']) : range.query));
    for (const key of ['principal', 'client', 'size']) if (query[key]) search.set(key, query[key]);
    navigate(`/ui/sessions?${search}`, { replace: true });
  };
  const current = { ...filters, size: size === PAGE_SIZES[0] ? null : String(size) };
  const variables = { ...range.variables, principal: filters.principal, client: filters.client };

  const status = statusLine();
  const download = actionButton('Download sessions CSV', async () => {
    const rows = [];
    let after = null;
    do {
      const data = await gql(PAGE_QUERY, { ...variables, first: 200, after }, { signal });
      rows.push(...data.sessions.edges.map((e) => e.node));
      after = data.sessions.pageInfo.hasNextPage ? data.sessions.pageInfo.endCursor : null;
    } while (after && rows.length < CSV_MAX_ROWS);
    const columns = [
      ['id', (r) => r.id], ['principal', (r) => r.principal], ['client', (r) => r.client], ['models', (r) => r.models.join(' ')],
      ['startedAt', (r) => r.startedAt], ['lastSeenAt', (r) => r.lastSeenAt], ['requests', (r) => r.requests],
      ['inputTokens', (r) => r.inputTokens], ['outputTokens', (r) => r.outputTokens], ['cachedInputTokens', (r) => r.cachedInputTokens], ['costUsd', (r) => r.costUsd],
    ].map(([label, value]) => ({ label, value }));
    downloadCsv(`tailgate-sessions-${range.first}-to-${range.last}.csv`, toCsv(columns, rows));
    status.ok(`Downloaded ${int(rows.length)} sessions${after ? ` (the first ${int(CSV_MAX_ROWS)})` : ''}.`);
  }, { variant: 'secondary', busyLabel: 'Preparing CSV…' });

  const clientSelect = h('select', { name: 'client' }, h('option', { value: '' }, 'All clients'));
  const principalInput = me.isAdmin ? h('input', { type: 'text', name: 'principal', value: filters.principal ?? '', placeholder: 'user:alice@example.com', autocomplete: 'off', spellcheck: 'false' }) : null;
  const sizeSelect = h('select', { name: 'size' }, PAGE_SIZES.map((n) => h('option', { value: String(n), selected: n === size }, `${n} per page`)));
  const filterForm = h('form', {
    class: 'filters', 'aria-label': 'Filter sessions',
    on: {
      submit(event) {
        event.preventDefault();
        go({ ...range.query, principal: principalInput?.value.trim() || null, client: clientSelect.value || null, size: sizeSelect.value === String(PAGE_SIZES[0]) ? null : sizeSelect.value });
      },
    },
  },
  principalInput ? field('Principal', principalInput) : null,
  field('Client', clientSelect),
  field('Page size', sizeSelect),
  h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Apply filters')));

  main.append(
    pageHeader('Sessions', me.isAdmin ? 'Runs of requests by one principal from one client, most recently active first.' : 'Your runs of requests, most recently active first.'),
    h('div', { class: 'toolbar' }, rangePicker(range, (query) => go({ ...query, ...current })), download, status.el),
    filterForm,
  );
  const results = h('div', { class: 'results' }, h('p', { class: 'muted' }, 'Loading sessions…'));
  main.append(results);

  const cursors = [null];
  let page = 0;
  async function load() {
    const data = await gql(PAGE_QUERY, { ...variables, first: size, after: cursors[page] }, { signal });
    const { edges, pageInfo, totalCount } = data.sessions;
    if (pageInfo.hasNextPage) cursors[page + 1] = pageInfo.endCursor;
    const firstRow = page * size + 1;
    const summary = totalCount === 0 ? 'No sessions match.' : `Sessions ${int(firstRow)}–${int(firstRow + edges.length - 1)} of ${int(totalCount)}`;
    const prev = h('button', { type: 'button', class: 'button secondary', disabled: page === 0, on: { click: () => { page -= 1; void load().then(() => results.querySelector('.pager-summary')?.focus()); } } }, 'Previous page');
    const next = h('button', { type: 'button', class: 'button secondary', disabled: !pageInfo.hasNextPage, on: { click: () => { page += 1; void load().then(() => results.querySelector('.pager-summary')?.focus()); } } }, 'Next page');
    replace(results,
      h('p', { class: 'pager-summary', tabindex: '-1', 'aria-live': 'polite', dataset: { total: totalCount } }, summary),
      dataTable({
        caption: 'Sessions', captionVisible: false, stack: true, rows: edges.map((e) => e.node), empty: 'No sessions in this range.',
        rowAttrs: (r) => ({ dataset: { session: r.id } }),
        columns: [
          { key: 'id', label: 'Session', rowHeader: true, cell: (r) => h('a', { href: sessionHref(r.id), 'aria-label': `Session ${r.id}` }, shortId(r.id)) },
          me.isAdmin ? { key: 'principal', label: 'Principal' } : null,
          { key: 'client', label: 'Client', format: clientName },
          { wrap: true, key: 'models', label: 'Models', format: (v) => v.join(', ') },
          { key: 'requests', label: 'Requests', num: true, format: int },
          { key: 'tokens', label: 'Tokens', num: true, value: (r) => r.inputTokens + r.outputTokens, format: int },
          { key: 'costUsd', label: 'Cost', num: true, format: usd },
          { key: 'duration', label: 'Duration', num: true, value: (r) => Date.parse(r.lastSeenAt) - Date.parse(r.startedAt), format: duration },
          { key: 'lastSeenAt', label: 'Last seen', format: (v) => dateTime(v) },
        ].filter(Boolean),
      }),
      h('div', { class: 'pager' }, prev, next));
  }
  const [clients] = await Promise.all([gql(CLIENTS_QUERY, range.variables, { signal }), load()]);
  for (const { client } of clients.usage) clientSelect.append(h('option', { value: client, selected: client === filters.client }, clientName(client)));
  if (filters.client && !clients.usage.some((r) => r.client === filters.client)) clientSelect.append(h('option', { value: filters.client, selected: true }, clientName(filters.client)));
}

function pick(object, keys) {
  return Object.fromEntries(keys.filter((k) => object[k]).map((k) => [k, object[k]]));
}
