// Tool use: which tools the agents call, how often, and (for admins) by whom.

import { gql, MAX_ROOT_FIELDS } from '../api.js';
import { barList } from '../chart.js';
import { h } from '../dom.js';
import { int } from '../format.js';
import { rangeFrom, rangePicker, rangeSearch } from '../range.js';
import { dataTable } from '../table.js';
import { pageHeader, section } from './common.js';

const QUERY = `query Tools($from: DateTime, $to: DateTime) {
  toolUsage(from: $from, to: $to) { tool calls principals sessions }
  principals: usage(from: $from, to: $to, groupBy: [PRINCIPAL]) { principal requests }
}`;
/** Principals shown in the by-whom table, busiest first. */
const MAX_PRINCIPALS = 40;
const MAX_TOOL_COLUMNS = 8;

/**
 * toolUsage for each principal, as aliased fields in as few operations as the API's root-field
 * limit allows (principal ids travel as variables, never spliced into the query text).
 */
async function toolUsageByPrincipal(principals, variables, signal) {
  const perOperation = MAX_ROOT_FIELDS - 1;
  const result = new Map();
  for (let start = 0; start < principals.length; start += perOperation) {
    const batch = principals.slice(start, start + perOperation);
    const defs = batch.map((_, i) => `$p${i}: String!`).join(', ');
    const fields = batch.map((_, i) => `t${i}: toolUsage(from: $from, to: $to, principal: $p${i}) { tool calls }`).join('\n');
    const vars = { ...variables };
    batch.forEach((p, i) => { vars[`p${i}`] = p; });
    const data = await gql(`query ToolsByPrincipal($from: DateTime, $to: DateTime, ${defs}) {\n${fields}\n}`, vars, { signal });
    batch.forEach((p, i) => result.set(p, data[`t${i}`]));
  }
  return result;
}

export async function render({ main, me, params, navigate, signal }) {
  const range = rangeFrom(params);
  main.append(
    pageHeader('Tools', me.isAdmin ? 'The tools agents call through this gateway, counted from the tool calls in model answers.' : 'The tools your agents call, counted from the tool calls in model answers.'),
    h('div', { class: 'toolbar' }, rangePicker(range, (query) => navigate(`/ui/tools${rangeSearch(query)}`, { replace: true }))),
  );
  const data = await gql(QUERY, range.variables, { signal });
  const tools = data.toolUsage;
  main.append(h('div', { class: 'two-columns' },
    section('Calls by tool', barList({ title: 'Tool calls', items: tools.slice(0, 15).map((t) => ({ label: t.tool, value: t.calls })), format: int })),
    section('Every tool',
      dataTable({ caption: 'Tool calls by tool', captionVisible: false, stack: true, rows: tools, empty: 'No tool calls in this range.', columns: [
        { key: 'tool', label: 'Tool', rowHeader: true },
        { key: 'calls', label: 'Calls', num: true, format: int },
        { key: 'principals', label: 'Principals', num: true, format: int },
        { key: 'sessions', label: 'Sessions', num: true, format: int },
      ] }))));

  if (!me.isAdmin || tools.length === 0) return;
  const principals = [...data.principals].sort((a, b) => b.requests - a.requests || a.principal.localeCompare(b.principal)).slice(0, MAX_PRINCIPALS).map((r) => r.principal);
  const byPrincipal = await toolUsageByPrincipal(principals, range.variables, signal);
  const columns = tools.slice(0, MAX_TOOL_COLUMNS).map((t) => t.tool);
  const rows = principals
    .map((principal) => {
      const counts = new Map(byPrincipal.get(principal).map((t) => [t.tool, t.calls]));
      const row = { principal, total: [...counts.values()].reduce((a, b) => a + b, 0) };
      columns.forEach((tool, i) => { row[`t${i}`] = counts.get(tool) ?? 0; });
      return row;
    })
    .filter((row) => row.total > 0)
    .sort((a, b) => b.total - a.total || a.principal.localeCompare(b.principal));
  main.append(section('By whom',
    h('p', { class: 'muted' }, `Tool calls per principal for the ${columns.length === tools.length ? '' : `${columns.length} most-called `}tools, busiest principals first.`),
    dataTable({ caption: 'Tool calls by principal', captionVisible: false, stack: true, rows, empty: 'No tool calls in this range.', rowAttrs: (r) => ({ dataset: { principal: r.principal } }), columns: [
      { key: 'principal', label: 'Principal', rowHeader: true },
      ...columns.map((tool, i) => ({ key: `t${i}`, label: tool, num: true, format: int })),
      { key: 'total', label: 'All tools', num: true, format: int },
    ] })));
}
