// Overview: spend and tokens per day by model or provider, headline figures, top models and
// principals, and the caller's own quota standing. Admins see the tailnet; others their own use.

import { gql } from '../api.js';
import { barList, timeChart, topSeries } from '../chart.js';
import { toCsv, downloadCsv } from '../csv.js';
import { h, replace, uid } from '../dom.js';
import { compact, int, pct, usd, usdCompact } from '../format.js';
import { rangeFrom, rangePicker, rangeSearch } from '../range.js';
import { dataTable, figures } from '../table.js';
import { byCost, seriesByDay, tokensOf, USAGE_FIELDS } from '../usage.js';
import { actionButton, pageHeader, section, statusLine } from './common.js';
import { quotaStandingTable, QUOTA_STATUS_FIELDS } from './quota-standing.js';

const QUERY = `query Overview($from: DateTime, $to: DateTime) {
  total: usage(from: $from, to: $to, groupBy: []) { ${USAGE_FIELDS} }
  byDayModel: usage(from: $from, to: $to, groupBy: [DAY, MODEL]) { day model inputTokens outputTokens costUsd }
  byDayProvider: usage(from: $from, to: $to, groupBy: [DAY, PROVIDER]) { day provider inputTokens outputTokens costUsd }
  byModel: usage(from: $from, to: $to, groupBy: [MODEL]) { model ${USAGE_FIELDS} }
  byPrincipal: usage(from: $from, to: $to, groupBy: [PRINCIPAL]) { principal ${USAGE_FIELDS} }
  quotaStatus { ${QUOTA_STATUS_FIELDS} }
}`;

const CSV_QUERY = `query UsageCsv($from: DateTime, $to: DateTime) {
  usage(from: $from, to: $to, groupBy: [DAY, PRINCIPAL, CLIENT, PROVIDER, MODEL]) { day principal client provider model ${USAGE_FIELDS} }
}`;

const TOP = 10;

export async function render({ main, me, params, navigate, signal }) {
  const range = rangeFrom(params);
  const status = statusLine();
  const download = actionButton('Download usage CSV', async () => {
    const data = await gql(CSV_QUERY, range.variables, { signal });
    const columns = ['day', 'principal', 'client', 'provider', 'model', 'requests', 'errors', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'cacheWriteTokens', 'reasoningTokens', 'costUsd']
      .map((key) => ({ label: key, value: (row) => row[key] }));
    downloadCsv(`tailgate-usage-${range.first}-to-${range.last}.csv`, toCsv(columns, data.usage));
    status.ok(`Downloaded ${int(data.usage.length)} usage rows.`);
  }, { variant: 'secondary', busyLabel: 'Preparing CSV…' });
  main.append(
    pageHeader('Overview', me.isAdmin ? 'Spend, tokens and errors across the tailnet, from the usage ledger (UTC days).' : 'Your own spend, tokens and errors through this gateway (UTC days).'),
    h('div', { class: 'toolbar' }, rangePicker(range, (query) => navigate(`/ui/${rangeSearch(query)}`, { replace: true })), download, status.el),
  );
  const body = h('div', { class: 'page-body' }, h('p', { class: 'muted' }, 'Loading usage…'));
  main.append(body);

  const data = await gql(QUERY, range.variables, { signal });
  const total = data.total[0];
  const breakdown = { value: params.get('by') === 'provider' ? 'provider' : 'model' };

  const charts = h('div', { class: 'charts' });
  const drawCharts = () => {
    const rows = breakdown.value === 'provider' ? data.byDayProvider : data.byDayModel;
    const label = breakdown.value === 'provider' ? 'provider' : 'model';
    // Both charts list (and colour) the series in order of spend, so a model has one colour.
    const rank = byCost(breakdown.value === 'provider' ? providerTotals(data.byDayProvider) : data.byModel, label).map((r) => r[label]);
    replace(charts,
      timeChart({ title: `Spend per day by ${label}`, labels: range.days, series: topSeries(seriesByDay(rows, range.days, label, (r) => r.costUsd), 7, rank), format: usd, axisFormat: usdCompact }),
      timeChart({ title: `Tokens per day by ${label}`, description: 'Input plus output tokens.', labels: range.days, series: topSeries(seriesByDay(rows, range.days, label, tokensOf), 7, rank), format: int, axisFormat: compact, integer: true }));
  };
  const breakdownName = uid('breakdown');
  const chooser = h('fieldset', { class: 'segmented' }, h('legend', {}, 'Break the charts down by'),
    ['model', 'provider'].map((value) => {
      const id = uid('breakdown');
      const input = h('input', { type: 'radio', name: breakdownName, id, value, checked: breakdown.value === value });
      input.addEventListener('change', () => {
        if (!input.checked) return;
        breakdown.value = value;
        drawCharts();
      });
      return h('span', { class: 'segment' }, input, h('label', { for: id }, value === 'model' ? 'Model' : 'Provider'));
    }));
  drawCharts();

  const topModels = byCost(data.byModel, 'model').slice(0, TOP);
  const topPrincipals = byCost(data.byPrincipal, 'principal').slice(0, TOP);
  replace(body,
    figures([
      { label: 'Spend', metric: 'costUsd', value: total.costUsd, text: usd(total.costUsd) },
      { label: 'Requests', metric: 'requests', value: total.requests, text: int(total.requests) },
      { label: 'Input tokens', metric: 'inputTokens', value: total.inputTokens, text: int(total.inputTokens) },
      { label: 'Output tokens', metric: 'outputTokens', value: total.outputTokens, text: int(total.outputTokens) },
      { label: 'Error rate', metric: 'errorRate', value: total.requests ? total.errors / total.requests : '', text: pct(total.errors, total.requests), note: `${int(total.errors)} failed requests` },
      { label: 'Cache-hit share', metric: 'cacheHitShare', value: total.inputTokens ? total.cachedInputTokens / total.inputTokens : '', text: pct(total.cachedInputTokens, total.inputTokens), note: 'of input tokens read from a prompt cache' },
    ], `Totals for ${range.label}`),
    section('Over time', chooser, charts),
    h('div', {},
      section('Top models',
        barList({ title: 'Spend by model', items: topModels.map((r) => ({ label: r.model, value: r.costUsd })), format: usd }),
        dataTable({ caption: `Top ${TOP} models by spend`, captionVisible: false, stack: true, rows: topModels, columns: [
          { key: 'model', label: 'Model', rowHeader: true },
          { key: 'requests', label: 'Requests', num: true, format: int },
          { key: 'tokens', label: 'Tokens', num: true, value: tokensOf, format: int },
          { key: 'errorRate', label: 'Errors', num: true, value: (r) => (r.requests ? r.errors / r.requests : 0), format: (_, r) => pct(r.errors, r.requests) },
          { key: 'costUsd', label: 'Spend', num: true, format: usd },
        ] })),
      section(me.isAdmin ? 'Top principals' : 'You',
        dataTable({ caption: me.isAdmin ? `Top ${TOP} principals by spend` : 'Your usage', captionVisible: false, stack: true, rows: topPrincipals, columns: [
          { key: 'principal', label: 'Principal', rowHeader: true },
          { key: 'requests', label: 'Requests', num: true, format: int },
          { key: 'tokens', label: 'Tokens', num: true, value: tokensOf, format: int },
          { key: 'costUsd', label: 'Spend', num: true, format: usd },
        ] }))),
    data.quotaStatus.length > 0 ? section('Your quotas', quotaStandingTable(data.quotaStatus, 'Your standing against each quota that applies to you')) : null,
  );
}

/** Spend and requests per provider, summed over days. */
function providerTotals(rows) {
  const totals = new Map();
  for (const row of rows) {
    const t = totals.get(row.provider) ?? { provider: row.provider, costUsd: 0, requests: 0 };
    t.costUsd += row.costUsd;
    totals.set(row.provider, t);
  }
  return [...totals.values()];
}
