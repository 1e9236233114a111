// Data tables with real headers: a caption naming the table, <th scope="col"> for columns and an
// optional <th scope="row"> first cell, in a focusable region that scrolls sideways on a phone.
// Numeric cells keep their raw value in data-value, so what is shown can be checked against the API.

import { h, uid } from './dom.js';

/**
 * columns: [{ key, label, num, format(value, row), cell(row) → Node|string, value(row), rowHeader, wrap, raw }]
 * Cells do not wrap (the region scrolls instead) unless the column says `wrap`; with `stack`, a
 * phone shows each row as a card instead.
 * `value(row)` (default row[key]) is the raw value; `format` or `cell` how it reads.
 */
export function dataTable({ caption, columns, rows, empty = 'Nothing to show for this range.', captionVisible = true, rowAttrs, stack = false }) {
  const captionId = uid('table');
  // Cards are display: block, which can cost a table its semantics: explicit roles keep them.
  const role = (name) => (stack ? name : null);
  const head = h('thead', { role: role('rowgroup') }, h('tr', { role: role('row') }, columns.map((c) => h('th', { scope: 'col', class: c.num ? 'num' : null, role: role('columnheader') }, c.label))));
  const body = h('tbody', { role: role('rowgroup') });
  if (rows.length === 0) {
    body.append(h('tr', { role: role('row') }, h('td', { colspan: String(columns.length), class: 'empty', role: role('cell') }, empty)));
  }
  for (const row of rows) {
    const tr = h('tr', { ...(rowAttrs ? rowAttrs(row) : {}), role: role('row') });
    for (const column of columns) {
      const raw = column.value ? column.value(row) : row[column.key];
      const content = column.cell ? column.cell(row) : column.format ? column.format(raw, row) : raw ?? '—';
      const props = {
        // `stack` tables become one card per row on a phone, each cell labelled by its column.
        'data-label': stack ? column.label : null,
        class: [column.num ? 'num' : null, column.wrap ? 'wrap' : null],
        dataset: column.num || column.raw ? { value: raw === null || raw === undefined ? '' : raw, key: column.key } : { key: column.key },
      };
      if (column.rowHeader) props.scope = 'row';
      props.role = role(column.rowHeader ? 'rowheader' : 'cell');
      tr.append(h(column.rowHeader ? 'th' : 'td', props, content));
    }
    body.append(tr);
  }
  // The caption names the table for assistive technology; a visible title sits outside the
  // scrolling region so it stays readable on a phone however wide the table is.
  const table = h('table', { class: stack ? 'stack' : null, role: role('table') }, h('caption', { id: captionId, class: 'visually-hidden' }, caption), head, body);
  const region = h('div', { class: 'table-wrap', role: 'region', 'aria-labelledby': captionId, tabindex: '0' }, table);
  return captionVisible ? h('div', { class: 'table-block' }, h('p', { class: 'table-title', 'aria-hidden': 'true' }, caption), region) : region;
}

/** A <dl> of headline figures; each item: { label, value (raw number), text (as shown), note }. */
export function figures(items, label) {
  return h('dl', { class: 'figures', 'aria-label': label },
    items.map((item) => h('div', { class: 'figure' },
      h('dt', {}, item.label),
      h('dd', { dataset: { value: item.value ?? '', metric: item.metric } }, item.text),
      item.note ? h('p', { class: 'figure-note' }, item.note) : null)));
}
