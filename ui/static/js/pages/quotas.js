// Quotas: the budgets admission enforces, a form to set one, and live standing (used and
// remaining in the current window) for any principal, refreshed while the page is open.

import { gql } from '../api.js';
import { h, replace } from '../dom.js';
import { dateTime, int, usd } from '../format.js';
import { dataTable } from '../table.js';
import { confirmControl, field, pageHeader, section, statusLine } from './common.js';
import { QUOTA_FIELDS, QUOTA_STATUS_FIELDS, quotaStandingTable, windowName } from './quota-standing.js';

const QUERY = `query Quotas { quotas { ${QUOTA_FIELDS} } }`;
const STANDING = `query QuotaStanding($principal: String) { quotaStatus(principal: $principal) { ${QUOTA_STATUS_FIELDS} } }`;
const SET_QUOTA = `mutation SetQuota($input: QuotaInput!) { setQuota(input: $input) { ${QUOTA_FIELDS} } }`;
const DELETE_QUOTA = 'mutation DeleteQuota($id: ID!) { deleteQuota(id: $id) }';
const WINDOWS = ['MINUTE', 'HOUR', 'DAY', 'WEEK', 'MONTH'];
export const LIVE_REFRESH_MS = 5000;

export async function render({ main, me, params, signal }) {
  main.append(pageHeader('Quotas', 'Budgets per window (UTC calendar windows: a week starts Monday, a month on the 1st). Admission refuses a request once a budget it counts against is used up.'));
  const announce = statusLine();
  const listHolder = h('div', {});
  const standingHolder = h('div', {}, h('p', { class: 'muted' }, 'Loading…'));
  const updated = h('p', { class: 'muted updated' });
  let principal = params.get('principal') || me.id;

  async function loadList(focus) {
    const { quotas } = await gql(QUERY, {}, { signal });
    replace(listHolder, dataTable({
      caption: 'Quotas', captionVisible: false, stack: true, rows: quotas, empty: 'No quotas: requests are limited only by model allow-lists.',
      rowAttrs: (q) => ({ dataset: { quota: q.id } }),
      columns: [
        { key: 'subject', label: 'Applies to', rowHeader: true },
        { key: 'window', label: 'Window', format: windowName },
        { key: 'shared', label: 'Budget', format: (v) => (v ? 'shared by all' : 'each') },
        { wrap: true, key: 'models', label: 'Models', format: (v) => (v ?? ['every model']).join(', ') },
        { key: 'maxRequests', label: 'Max requests', num: true, format: (v) => (v === null ? '—' : int(v)) },
        { key: 'maxTokens', label: 'Max tokens', num: true, format: (v) => (v === null ? '—' : int(v)) },
        { key: 'maxCostUsd', label: 'Max spend', num: true, format: (v) => (v === null ? '—' : usd(v)) },
        { key: 'actions', label: 'Actions', cell: (q) => confirmControl({
          label: 'Delete',
          name: `Delete the quota for ${q.subject} ${windowName(q.window)}`,
          confirmLabel: 'Delete quota',
          warning: 'Its usage counters go too.',
          busyLabel: 'Deleting…',
          async action() {
            await gql(DELETE_QUOTA, { id: q.id }, { signal });
            announce.ok(`Deleted the quota for ${q.subject} ${windowName(q.window)}.`);
            await Promise.all([loadList(), loadStanding()]);
            main.querySelector('h1')?.focus();
          },
          onError: (err) => announce.error(err.message),
        }) },
      ],
    }));
    if (focus) main.querySelector(focus)?.focus();
  }

  async function loadStanding() {
    const { quotaStatus } = await gql(STANDING, { principal }, { signal });
    replace(standingHolder, quotaStandingTable(quotaStatus, `Standing of ${principal} in the current windows`));
    updated.textContent = `Updated ${dateTime(new Date().toISOString(), { seconds: true })}; refreshes every ${LIVE_REFRESH_MS / 1000} seconds.`;
  }

  const principalInput = h('input', { type: 'text', name: 'principal', value: principal, autocomplete: 'off', spellcheck: 'false' });
  const standingForm = h('form', {
    class: 'inline-form', 'aria-label': 'Choose whose standing to show',
    on: {
      async submit(event) {
        event.preventDefault();
        principal = principalInput.value.trim() || me.id;
        try {
          await loadStanding();
        } catch (err) {
          replace(standingHolder, h('p', { class: 'status error', role: 'alert' }, err.message));
        }
      },
    },
  }, field('Principal', principalInput, 'user:<login> or a tagged device\'s tags, e.g. tag:ci.'), h('button', { type: 'submit', class: 'button secondary' }, 'Show standing'));

  main.append(announce.el,
    section('Budgets', listHolder, quotaForm()),
    section('Live standing', standingForm, updated, standingHolder));
  await Promise.all([loadList(), loadStanding()]);

  // Live: poll while this page is shown; leaving it aborts `signal`, which stops the timer.
  const timer = setInterval(() => {
    if (document.visibilityState === 'visible') loadStanding().catch(() => {});
  }, LIVE_REFRESH_MS);
  if (signal.aborted) clearInterval(timer);
  else signal.addEventListener('abort', () => clearInterval(timer), { once: true });

  function quotaForm() {
    const status = statusLine();
    const subject = h('input', { type: 'text', name: 'subject', required: true, autocomplete: 'off', spellcheck: 'false', placeholder: 'user:*' });
    const windowSelect = h('select', { name: 'window' }, WINDOWS.map((w) => h('option', { value: w, selected: w === 'DAY' }, `${w.toLowerCase()}`)));
    const shared = h('input', { type: 'checkbox', name: 'shared', id: 'quota-shared' });
    const models = h('input', { type: 'text', name: 'models', autocomplete: 'off', spellcheck: 'false', placeholder: 'claude-*, gpt-5*' });
    const maxRequests = h('input', { type: 'number', name: 'maxRequests', min: '1', step: '1', inputmode: 'numeric' });
    const maxTokens = h('input', { type: 'number', name: 'maxTokens', min: '1', step: '1', inputmode: 'numeric' });
    const maxCost = h('input', { type: 'number', name: 'maxCostUsd', min: '0.000001', step: 'any', inputmode: 'decimal' });
    const num = (input) => (input.value === '' ? null : Number(input.value));
    return h('details', { class: 'add-form' }, h('summary', {}, 'Set a quota'),
      h('form', {
        class: 'grid-form',
        on: {
          async submit(event) {
            event.preventDefault();
            const list = models.value.split(',').map((m) => m.trim()).filter(Boolean);
            const input = { subject: subject.value.trim(), window: windowSelect.value, shared: shared.checked, models: list.length ? list : null, maxRequests: num(maxRequests), maxTokens: num(maxTokens), maxCostUsd: num(maxCost) };
            try {
              const { setQuota } = await gql(SET_QUOTA, { input }, { signal });
              announce.ok(`Saved the quota for ${setQuota.subject} ${windowName(setQuota.window)}.`);
              status.clear();
              await Promise.all([loadList(), loadStanding()]);
            } catch (err) {
              status.error(err.message);
            }
          },
        },
      },
      field('Applies to', subject, '* (everyone), user:* (every person), user:<login> or tag:<name>. Setting the same subject, window, sharing and models again replaces the limits.'),
      field('Window', windowSelect),
      h('div', { class: 'field checkbox' }, shared, h('label', { for: 'quota-shared' }, 'One budget shared by everyone it applies to')),
      field('Models', models, 'Comma-separated globs; empty for every model.'),
      field('Max requests', maxRequests), field('Max tokens', maxTokens), field('Max spend (USD)', maxCost),
      h('div', { class: 'field actions' }, h('button', { type: 'submit', class: 'button primary' }, 'Save quota')), status.el));
  }
}
