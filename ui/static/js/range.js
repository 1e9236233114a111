// The time range a page shows: a preset (last 7/30/90 UTC days, today included) or custom UTC
// days, kept in the URL (?range=7d or ?from=YYYY-MM-DD&to=YYYY-MM-DD, `to` inclusive) so a view can
// be linked, and remembered for the tab so moving between sections keeps it.

import { h, uid } from './dom.js';

const DAY_MS = 86_400_000;
const STORAGE_KEY = 'tailgate.range';
export const PRESETS = [
  { id: '7d', label: 'Last 7 days', days: 7 },
  { id: '30d', label: 'Last 30 days', days: 30 },
  { id: '90d', label: 'Last 90 days', days: 90 },
];
const DEFAULT_PRESET = '30d';
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export const utcDay = (ms) => new Date(ms).toISOString().slice(0, 10);
const dayStart = (day) => Date.parse(`${day}T00:00:00.000Z`);

/** Every UTC day from `first` to `last`, inclusive. */
export function daysBetween(first, last) {
  const out = [];
  for (let t = dayStart(first); t <= dayStart(last); t += DAY_MS) out.push(utcDay(t));
  return out;
}

/**
 * The range named by URL parameters (else the tab's last choice, else the last 30 days):
 * `variables` go to GraphQL as from/to (`to` omitted: now), `days` lists the UTC days it touches.
 */
export function rangeFrom(params, now = Date.now()) {
  let choice = { range: params.get('range'), from: params.get('from'), to: params.get('to') };
  if (!choice.range && !choice.from) {
    try {
      choice = JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') ?? choice;
    } catch {
      // a stale or foreign value: use the default
    }
  }
  const today = utcDay(now);
  if (choice.from && choice.to && DAY.test(choice.from) && DAY.test(choice.to) && choice.from <= choice.to && choice.to <= today) {
    return {
      id: 'custom', label: `${choice.from} to ${choice.to}`, first: choice.from, last: choice.to,
      days: daysBetween(choice.from, choice.to),
      variables: { from: new Date(dayStart(choice.from)).toISOString(), to: new Date(dayStart(choice.to) + DAY_MS).toISOString() },
      query: { from: choice.from, to: choice.to },
    };
  }
  const preset = PRESETS.find((p) => p.id === choice.range) ?? PRESETS.find((p) => p.id === DEFAULT_PRESET);
  const first = utcDay(dayStart(today) - (preset.days - 1) * DAY_MS);
  return {
    id: preset.id, label: preset.label, first, last: today, days: daysBetween(first, today),
    variables: { from: new Date(dayStart(first)).toISOString() },
    query: { range: preset.id },
  };
}

/** Remembers a range for this tab and returns the URL search string that names it. */
export function rangeSearch(query) {
  try {
    sessionStorage.setItem(STORAGE_KEY, JSON.stringify(query));
  } catch {
    // storage disabled: the URL still carries the range
  }
  return `?${new URLSearchParams(query)}`;
}

/**
 * A labelled range control: a preset select, and From/To dates for a custom range.
 * `onChange(query)` gets the new URL parameters.
 */
export function rangePicker(range, onChange) {
  const selectId = uid('range');
  const fromId = uid('range-from');
  const toId = uid('range-to');
  const today = utcDay(Date.now());
  const select = h('select', { id: selectId, name: 'range' },
    PRESETS.map((p) => h('option', { value: p.id, selected: p.id === range.id }, p.label)),
    h('option', { value: 'custom', selected: range.id === 'custom' }, 'Custom (UTC days)…'));
  const from = h('input', { type: 'date', id: fromId, name: 'from', value: range.first, max: today, required: true });
  const to = h('input', { type: 'date', id: toId, name: 'to', value: range.last, max: today, required: true });
  const custom = h('span', { class: 'range-custom', hidden: range.id !== 'custom' },
    h('label', { for: fromId }, 'From'), from,
    h('label', { for: toId }, 'To'), to,
    h('button', { type: 'submit', class: 'button secondary' }, 'Apply'));
  select.addEventListener('change', () => {
    if (select.value === 'custom') {
      custom.hidden = false;
      from.focus();
    } else {
      onChange({ range: select.value });
    }
  });
  return h('form', {
    class: 'range-picker', 'aria-label': 'Time range',
    on: {
      submit(event) {
        event.preventDefault();
        if (select.value !== 'custom') return onChange({ range: select.value });
        if (!from.value || !to.value || from.value > to.value) {
          to.setCustomValidity('The range must end on or after its first day.');
          to.reportValidity();
          return undefined;
        }
        to.setCustomValidity('');
        return onChange({ from: from.value, to: to.value });
      },
    },
  }, h('label', { for: selectId }, 'Time range'), select, custom);
}
