// Adoption: how many people use the gateway each day and week, with which clients, who is new,
// and who tried it and did not come back, so a platform team knows whom to help.

import { gql } from '../api.js';
import { timeChart } from '../chart.js';
import { h } from '../dom.js';
import { clientName, int, usd } from '../format.js';
import { rangeFrom, rangePicker, rangeSearch } from '../range.js';
import { dataTable, figures } from '../table.js';
import { newAndReturning, weeklyActive } from '../adoption-math.js';
import { pageHeader, section } from './common.js';

const QUERY = `query Adoption($from: DateTime, $to: DateTime) {
  adoption(from: $from, to: $to) { day activePrincipals requests costUsd }
  principalAdoption(from: $from, to: $to) { principal firstDay lastDay activeDays requests costUsd clients retention }
  usage(from: $from, to: $to, groupBy: [DAY, PRINCIPAL, CLIENT]) { day principal client requests }
}`;

const RETENTION = { RETURNED: 'Came back', RETURNED_LATE: 'Came back later', CHURNED: 'Did not come back', PENDING: 'Too early to tell' };

export async function render({ main, params, navigate, signal }) {
  const range = rangeFrom(params);
  main.append(
    pageHeader('Adoption', 'Who uses the gateway, with which clients, and who tried it and did not come back. Days are UTC; weeks start on Monday, and the first and last week of a range may be partial.'),
    h('div', { class: 'toolbar' }, rangePicker(range, (query) => navigate(`/ui/adoption${rangeSearch(query)}`, { replace: true }))),
  );
  const data = await gql(QUERY, range.variables, { signal });
  const principals = data.principalAdoption;
  const daily = newAndReturning(data.adoption, principals);
  const weekly = weeklyActive(data.usage, range.days, principals);
  const fresh = principals.filter((p) => p.firstDay >= range.first).length;
  const churned = principals.filter((p) => p.retention === 'CHURNED');

  main.append(
    figures([
      { label: 'Active principals', metric: 'active', value: principals.length, text: int(principals.length), note: 'with a request in the range' },
      { label: 'New', metric: 'new', value: fresh, text: int(fresh), note: 'first request ever in the range' },
      { label: 'Returning', metric: 'returning', value: principals.length - fresh, text: int(principals.length - fresh), note: 'started before the range' },
      { label: 'Did not come back', metric: 'churned', value: churned.length, text: int(churned.length), note: 'no use in the 14 days after their first week, nor since' },
      { label: 'Active in the last week', metric: 'lastWeek', value: weekly.active[weekly.active.length - 1] ?? 0, text: int(weekly.active[weekly.active.length - 1] ?? 0), note: `week of ${weekly.weeks[weekly.weeks.length - 1] ?? '—'}` },
    ], `Adoption in ${range.label}`),
    h('div', { class: 'charts' },
      timeChart({ title: 'Active principals per day, new and returning', labels: daily.map((d) => d.day), integer: true, format: int, series: [
        { name: 'New', values: daily.map((d) => d.new) },
        { name: 'Returning', values: daily.map((d) => d.returning) },
      ] }),
      timeChart({ title: 'Active principals per week, by client', kind: 'lines', labelHeader: 'Week', labels: weekly.weeks, integer: true, format: int, series: [
        { name: 'All clients', values: weekly.active },
        ...weekly.clients.map((c) => ({ name: clientName(c.client), values: c.values })),
      ] })),
    section('Tried it and did not come back',
      h('p', { class: 'muted' }, 'Principals with no request in the 14 days after their first week (their first day and the six after it), nor since. They may need help getting set up: the ', h('a', { href: '/ui/connect' }, 'Connect page'), ' has copy-paste setup for each client.'),
      principalTable(churned, 'Principals who did not come back', 'Everyone who tried the gateway in this range came back, or it is too early to tell.')),
    section('Weekly active principals',
      dataTable({ caption: 'Distinct active principals per week, overall and by client', captionVisible: false, rows: weekly.weeks.map((week, i) => {
        const row = { week, active: weekly.active[i], new: weekly.new[i] };
        weekly.clients.forEach((c, j) => { row[`c${j}`] = c.values[i]; });
        return row;
      }), columns: [
        { key: 'week', label: 'Week of', rowHeader: true },
        { key: 'active', label: 'Active', num: true, format: int },
        { key: 'new', label: 'New', num: true, format: int },
        ...weekly.clients.map((c, j) => ({ key: `c${j}`, label: clientName(c.client), num: true, format: int })),
      ] })),
    section('Everyone active in this range', principalTable(principals, 'Principals active in this range', 'Nobody used the gateway in this range.')),
  );
}

function principalTable(rows, caption, empty) {
  return dataTable({
    caption, captionVisible: false, rows, empty, stack: true,
    rowAttrs: (r) => ({ dataset: { principal: r.principal, retention: r.retention } }),
    columns: [
      { key: 'principal', label: 'Principal', rowHeader: true },
      { key: 'firstDay', label: 'First day' },
      { key: 'lastDay', label: 'Last day' },
      { key: 'activeDays', label: 'Active days', num: true, format: int },
      { key: 'requests', label: 'Requests', num: true, format: int },
      { key: 'costUsd', label: 'Spend', num: true, format: usd },
      { wrap: true, key: 'clients', label: 'Clients', format: (v) => v.map(clientName).join(', ') },
      { key: 'retention', label: 'After the first week', raw: true, cell: (r) => h('span', { class: ['badge', r.retention === 'CHURNED' ? 'warn' : r.retention.startsWith('RETURNED') ? 'ok' : null] }, RETENTION[r.retention]) },
    ],
  });
}
