// One session: its facts, and its requests in order with tokens, cost, latency, tools and status.

import { gql } from '../api.js';
import { h, replace } from '../dom.js';
import { clientName, dateTime, duration, int, usd } from '../format.js';
import { dataTable, figures } from '../table.js';
import { actionButton, pageHeader, section } from './common.js';

const REQUEST_FIELDS = 'id at model provider endpoint stream status errorClass inputTokens outputTokens cachedInputTokens reasoningTokens costUsd latencyMs ttfbMs tools { tool calls }';
const QUERY = `query SessionPage($id: ID!, $first: Int, $after: String) {
  session(id: $id) {
    id principal client models requests inputTokens outputTokens cachedInputTokens cacheWriteTokens reasoningTokens costUsd startedAt lastSeenAt
    toolCalls { tool calls }
    requestLog(first: $first, after: $after) { pageInfo { hasNextPage endCursor } edges { node { ${REQUEST_FIELDS} } } }
  }
}`;
const PAGE = 200;

export async function render({ main, params, signal }) {
  const id = params.get('id') ?? '';
  main.append(h('p', { class: 'breadcrumb' }, h('a', { href: '/ui/sessions' }, '← All sessions')));
  const header = pageHeader('Session', null);
  main.append(header);
  const data = id ? await gql(QUERY, { id, first: PAGE }, { signal }) : { session: null };
  const s = data.session;
  if (!s) {
    main.append(h('p', { class: 'notice' }, 'There is no session with this id that you may see.'));
    return;
  }
  header.querySelector('h1').textContent = `Session ${s.id}`;
  document.title = `Session ${s.id} · Tailgate`;
  const requests = s.requestLog.edges.map((e) => e.node);
  const tableHolder = h('div', {});
  const more = h('div', { class: 'pager' });
  let pageInfo = s.requestLog.pageInfo;

  const drawTable = () => {
    replace(tableHolder, dataTable({
      caption: `Requests in this session, in order (${int(requests.length)} of ${int(s.requests)})`, stack: true,
      rows: requests.map((r, i) => ({ ...r, n: i + 1 })),
      empty: 'No requests recorded.',
      rowAttrs: (r) => ({ dataset: { request: r.id } }),
      columns: [
        { key: 'n', label: '#', num: true, rowHeader: true, format: int },
        { key: 'at', label: 'Time', format: (v) => dateTime(v, { seconds: true }) },
        { key: 'model', label: 'Model' },
        { key: 'inputTokens', label: 'Input', num: true, format: int },
        { key: 'outputTokens', label: 'Output', num: true, format: int },
        { key: 'costUsd', label: 'Cost', num: true, format: usd },
        { key: 'latencyMs', label: 'Latency', num: true, format: duration },
        { wrap: true, key: 'tools', label: 'Tools', cell: (r) => (r.tools.length === 0 ? h('span', { class: 'muted' }, 'none') : r.tools.map((t) => `${t.tool} ×${t.calls}`).join(', ')) },
        { key: 'status', label: 'Status', num: true, cell: (r) => h('span', { class: ['badge', r.status < 400 ? 'ok' : 'error'] }, r.status < 400 ? `${r.status} OK` : `${r.status} ${r.errorClass ?? 'error'}`) },
      ],
    }));
    replace(more, pageInfo.hasNextPage ? actionButton('Load more requests', async () => {
      const next = await gql(QUERY, { id, first: PAGE, after: pageInfo.endCursor }, { signal });
      requests.push(...next.session.requestLog.edges.map((e) => e.node));
      pageInfo = next.session.requestLog.pageInfo;
      drawTable();
    }, { variant: 'secondary', busyLabel: 'Loading…' }) : null);
  };
  drawTable();

  main.append(
    h('dl', { class: 'facts' },
      fact('Principal', s.principal), fact('Client', clientName(s.client)), fact('Models', s.models.join(', ')),
      fact('Started', dateTime(s.startedAt)), fact('Last seen', dateTime(s.lastSeenAt)),
      fact('Duration', duration(Date.parse(s.lastSeenAt) - Date.parse(s.startedAt)))),
    figures([
      { label: 'Requests', metric: 'requests', value: s.requests, text: int(s.requests) },
      { label: 'Input tokens', metric: 'inputTokens', value: s.inputTokens, text: int(s.inputTokens) },
      { label: 'Output tokens', metric: 'outputTokens', value: s.outputTokens, text: int(s.outputTokens) },
      { label: 'Cached input', metric: 'cachedInputTokens', value: s.cachedInputTokens, text: int(s.cachedInputTokens) },
      { label: 'Cost', metric: 'costUsd', value: s.costUsd, text: usd(s.costUsd) },
      { label: 'Tool calls', metric: 'toolCalls', value: s.toolCalls.reduce((a, t) => a + t.calls, 0), text: int(s.toolCalls.reduce((a, t) => a + t.calls, 0)), note: s.toolCalls.map((t) => `${t.tool} ×${t.calls}`).join(', ') || 'none' },
    ], 'Session totals'),
    section('Requests', tableHolder, more),
  );
}

function fact(label, value) {
  return h('div', {}, h('dt', {}, label), h('dd', {}, value));
}
