// Charts as inline SVG, drawn to the width they are given (and redrawn when it changes), so text
// stays legible from a phone to a desktop. Every chart is also a table: the SVG is an image with
// a summary for screen readers, and the exact figures sit in a <details> table below it.

import { h, s, uid } from './dom.js';
import { dataTable } from './table.js';

const SERIES_CLASSES = 8;
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Jun 15" for a YYYY-MM-DD label; other labels as they are. */
export function shortDay(label) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(label);
  return m ? `${MONTHS[Number(m[2]) - 1]} ${Number(m[3])}` : label;
}

/** Round axis steps: 1, 2, 2.5 or 5 times a power of ten (whole numbers for counts). */
export function niceTicks(max, { count = 4, integer = false } = {}) {
  if (!(max > 0)) return [0, integer ? 1 : 1];
  const raw = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const norm = raw / magnitude;
  let step = (norm <= 1 ? 1 : norm <= 2 ? 2 : norm <= 2.5 ? 2.5 : norm <= 5 ? 5 : 10) * magnitude;
  if (integer) step = Math.max(1, Math.ceil(step));
  const ticks = [];
  for (let v = 0; v < max + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(Number((ticks[ticks.length - 1] + step).toPrecision(12)));
  return ticks;
}

/**
 * Keeps the first `limit - 1` series (by `rank`, else by total) and sums the rest into "Other", so
 * a chart has a readable number of colours whatever the data.
 */
export function topSeries(series, limit = 7, rank = null) {
  const total = (x) => x.values.reduce((a, b) => a + b, 0);
  // With `rank` (names in order), charts of the same things keep the same order and colours.
  const position = (x) => (rank ? (rank.indexOf(x.name) + 1 || Infinity) : 0);
  const sorted = [...series].sort((a, b) => position(a) - position(b) || total(b) - total(a) || a.name.localeCompare(b.name));
  if (sorted.length <= limit) return sorted;
  const kept = sorted.slice(0, limit - 1);
  const rest = sorted.slice(limit - 1);
  const other = { name: `Other (${rest.length})`, values: rest[0].values.map((_, i) => rest.reduce((a, x) => a + x.values[i], 0)) };
  return [...kept, other];
}

/**
 * A time chart: `labels` along x (days or weeks), one value per label in each series.
 * kind: 'stacked' (stacked bars; totals are meaningful) or 'lines' (series that must not be added).
 */
export function timeChart({ title, description, labels, series, kind = 'stacked', format, axisFormat = format, integer = false, labelHeader = 'Day' }) {
  const titleId = uid('chart-title');
  const tooltip = h('div', { class: 'chart-tooltip', 'aria-hidden': 'true', hidden: true });
  const plot = h('div', { class: 'chart-plot' }, tooltip);
  const legend = h('ul', { class: 'chart-legend', 'aria-label': `${title}: legend` },
    series.map((x, i) => h('li', {}, h('span', { class: `swatch series-${i % SERIES_CLASSES}`, 'aria-hidden': 'true' }), x.name)));
  const totals = labels.map((_, i) => series.reduce((a, x) => a + (x.values[i] ?? 0), 0));
  const columns = [
    { key: 'label', label: labelHeader, rowHeader: true },
    ...series.map((x, i) => ({ key: `s${i}`, label: x.name, num: true, format })),
    ...(kind === 'stacked' && series.length > 1 ? [{ key: 'total', label: 'Total', num: true, format }] : []),
  ];
  const rows = labels.map((label, i) => {
    const row = { label, total: totals[i] };
    series.forEach((x, j) => { row[`s${j}`] = x.values[i] ?? 0; });
    return row;
  });
  const table = dataTable({ caption: `${title} (data)`, columns, rows, empty: 'No data.' });
  const figure = h('figure', { class: 'chart', 'aria-labelledby': titleId },
    h('figcaption', { id: titleId }, title),
    description ? h('p', { class: 'chart-description' }, description) : null,
    plot, legend,
    h('details', { class: 'chart-data' }, h('summary', {}, 'Show the figures'), table));

  const max = kind === 'stacked' ? Math.max(0, ...totals) : Math.max(0, ...series.flatMap((x) => x.values));
  const ticks = niceTicks(max, { integer });
  const top = ticks[ticks.length - 1] || 1;
  let drawnWidth = 0;

  function draw(width) {
    if (width === drawnWidth || width <= 0) return;
    drawnWidth = width;
    const height = width < 500 ? 190 : 230;
    const tickLabels = ticks.map((t) => axisFormat(t));
    const left = Math.max(...tickLabels.map((t) => t.length)) * 7 + 12;
    const margin = { left, right: 8, top: 10, bottom: 26 };
    const innerW = Math.max(10, width - margin.left - margin.right);
    const innerH = height - margin.top - margin.bottom;
    const band = innerW / Math.max(1, labels.length);
    const y = (v) => margin.top + innerH - (v / top) * innerH;
    const svg = s('svg', {
      class: 'chart-svg', width: String(width), height: String(height), viewBox: `0 0 ${width} ${height}`,
      role: 'img', 'aria-label': `${title}. ${summary()}`,
    });
    const grid = s('g', { class: 'chart-grid' });
    ticks.forEach((t, i) => {
      grid.append(s('line', { x1: margin.left, x2: width - margin.right, y1: y(t), y2: y(t) }));
      grid.append(s('text', { x: margin.left - 6, y: y(t) + 4, 'text-anchor': 'end', class: 'chart-axis' }, tickLabels[i]));
    });
    svg.append(grid);
    // Label every k-th x value so labels never collide (about 64 px each).
    const every = Math.max(1, Math.ceil(labels.length / Math.max(1, Math.floor(innerW / 64))));
    const xAxis = s('g', {});
    labels.forEach((label, i) => {
      if (i % every !== 0) return;
      xAxis.append(s('text', { x: margin.left + band * (i + 0.5), y: height - 8, 'text-anchor': 'middle', class: 'chart-axis' }, shortDay(label)));
    });
    svg.append(xAxis);
    const marks = s('g', {});
    if (kind === 'stacked') {
      const barW = Math.max(1, Math.min(28, band * 0.72));
      labels.forEach((_, i) => {
        let base = 0;
        series.forEach((x, j) => {
          const v = x.values[i] ?? 0;
          if (v <= 0) return;
          marks.append(s('rect', { class: `series-${j % SERIES_CLASSES}`, x: margin.left + band * (i + 0.5) - barW / 2, y: y(base + v), width: barW, height: Math.max(0.5, y(base) - y(base + v)) }));
          base += v;
        });
      });
    } else {
      series.forEach((x, j) => {
        const points = labels.map((_, i) => `${(margin.left + band * (i + 0.5)).toFixed(1)},${y(x.values[i] ?? 0).toFixed(1)}`);
        marks.append(s('polyline', { class: `line series-${j % SERIES_CLASSES}`, points: points.join(' ') }));
        if (labels.length <= 40) {
          labels.forEach((_, i) => marks.append(s('circle', { class: `series-${j % SERIES_CLASSES}`, cx: margin.left + band * (i + 0.5), cy: y(x.values[i] ?? 0), r: 2.5 })));
        }
      });
    }
    svg.append(marks);
    svg.append(s('line', { class: 'chart-baseline', x1: margin.left, x2: width - margin.right, y1: y(0), y2: y(0) }));
    const cursor = s('line', { class: 'chart-cursor', x1: 0, x2: 0, y1: margin.top, y2: margin.top + innerH, visibility: 'hidden' });
    svg.append(cursor);
    svg.addEventListener('pointermove', (event) => {
      const box = svg.getBoundingClientRect();
      const i = Math.floor((event.clientX - box.left - margin.left) / band);
      if (i < 0 || i >= labels.length) return hide();
      const cx = margin.left + band * (i + 0.5);
      cursor.setAttribute('x1', cx);
      cursor.setAttribute('x2', cx);
      cursor.setAttribute('visibility', 'visible');
      tooltip.replaceChildren(h('strong', {}, shortDay(labels[i])),
        ...series.filter((x) => (x.values[i] ?? 0) !== 0).map((x) => h('div', {}, `${x.name}: ${format(x.values[i])}`)),
        kind === 'stacked' && series.length > 1 ? h('div', {}, `Total: ${format(totals[i])}`) : null);
      tooltip.hidden = false;
      tooltip.style.left = `${Math.min(cx + 10, width - 180)}px`;
      tooltip.style.top = `${margin.top}px`;
      return undefined;
    });
    svg.addEventListener('pointerleave', hide);
    function hide() {
      tooltip.hidden = true;
      cursor.setAttribute('visibility', 'hidden');
    }
    plot.replaceChildren(svg, tooltip);
  }

  function summary() {
    if (labels.length === 0 || series.length === 0) return 'No data.';
    const grand = totals.reduce((a, b) => a + b, 0);
    const peak = totals.indexOf(Math.max(...totals));
    const parts = [`${labels.length} ${labelHeader.toLowerCase()}s, ${series.length} series`];
    if (kind === 'stacked') parts.push(`total ${format(grand)}`, `highest on ${shortDay(labels[peak])} at ${format(totals[peak])}`);
    return `${parts.join('; ')}. The figures are in the table below.`;
  }

  // Drawn in the next frame, not inside the observer's callback: changing the plot's height there
  // would be reported as a ResizeObserver loop.
  const observer = new ResizeObserver((entries) => {
    const width = Math.floor(entries[entries.length - 1].contentRect.width);
    requestAnimationFrame(() => draw(width));
  });
  observer.observe(plot);
  return figure;
}

/** Horizontal bars for a ranking (tools, models): an ordered list, so it reads as one. */
export function barList({ title, items, format }) {
  const max = Math.max(0, ...items.map((x) => x.value));
  const titleId = uid('bars');
  return h('figure', { class: 'chart', 'aria-labelledby': titleId },
    h('figcaption', { id: titleId }, title),
    items.length === 0 ? h('p', { class: 'muted' }, 'No data.') : h('ol', { class: 'bar-list' },
      items.map((item) => {
        const fill = h('span', { class: 'bar-fill series-0' });
        fill.style.width = `${max > 0 ? Math.max(0.5, (100 * item.value) / max) : 0}%`;
        return h('li', {},
          h('span', { class: 'bar-label' }, item.label),
          h('span', { class: 'bar-track', 'aria-hidden': 'true' }, fill),
          h('span', { class: 'bar-value', dataset: { value: item.value } }, format(item.value)));
      })));
}
