// Audit: every admin change (and the start-up import of keys), newest first. Details never hold a key.

import { gql } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime } from '../format.js';
import { dataTable } from '../table.js';
import { actionButton, pageHeader } from './common.js';

const QUERY = 'query AuditLog($first: Int, $after: String) { auditLog(first: $first, after: $after) { id at actor action target detail } }';
const PAGE = 50;

export async function render({ main, signal }) {
  main.append(pageHeader('Audit', 'Every change made through the admin API, newest first, with who made it. Keys never appear here.'));
  const events = [];
  const holder = h('div', {});
  const more = h('div', { class: 'pager' });
  main.append(holder, more);
  let done = false;

  async function loadMore() {
    const { auditLog } = await gql(QUERY, { first: PAGE, after: events.length ? events[events.length - 1].id : null }, { signal });
    events.push(...auditLog);
    done = auditLog.length < PAGE;
    replace(holder, dataTable({
      caption: `Audit events (${events.length}${done ? '' : '+'})`, stack: true, rows: events, empty: 'No admin changes yet.',
      rowAttrs: (e) => ({ dataset: { event: e.id } }),
      columns: [
        { key: 'at', label: 'Time', rowHeader: true, format: (v) => dateTime(v, { seconds: true }) },
        { key: 'actor', label: 'Who' },
        { key: 'action', label: 'Action' },
        { key: 'target', label: 'Target', format: (v) => v ?? '—' },
        { wrap: true, key: 'detail', label: 'Detail', cell: (e) => (e.detail ? h('code', { class: 'detail' }, compactJson(e.detail)) : '—') },
      ],
    }));
    replace(more, done ? null : actionButton('Load older events', loadMore, { variant: 'secondary', busyLabel: 'Loading…' }));
  }
  await loadMore();
}

function compactJson(text) {
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return text;
  }
}
