// Charts drawn by hand: stacked columns in SVG, horizontal bars and meters in plain elements.
import { h, svg, number } from './dom.js';

/** A meter: parts [{value, className, title}] of total, side by side. */
export function meter(parts, total, attrs = {}) {
  const spans = parts.filter(p => p.value > 0).map(p => h('span', {
    class: p.className, title: p.title,
    style: { width: Math.min(100, (100 * p.value) / Math.max(total, 1)).toFixed(2) + '%' },
  }));
  return h('div.bar', attrs, spans);
}

/** Horizontal bars, longest first: items [{label, value, text}]. */
export function hbars(items, { empty = 'No data yet.' } = {}) {
  if (!items.length) return h('div.empty', empty);
  const max = Math.max(...items.map(i => i.value), 1);
  return h('div', [...items].sort((a, b) => b.value - a.value).map(i => h('div.hbar',
    h('div.label', { title: i.label }, i.label),
    meter([{ value: i.value, className: 'claimed' }], max),
    h('div.small.muted', i.text ?? number(i.value)))));
}

/**
 * Stacked columns, one per label (days): series [{key, label, color}], rows {label, [key]: value}. Drawn in a
 * fixed 600×height box that scales with its container.
 */
export function columns(rows, series, { height = 180, title } = {}) {
  const width = 600;
  const left = 44;
  const bottom = 20;
  const top = 8;
  const plotH = height - bottom - top;
  const plotW = width - left - 4;
  const totals = rows.map(r => series.reduce((sum, s) => sum + (r[s.key] || 0), 0));
  const max = niceMax(Math.max(0, ...totals));
  const step = plotW / Math.max(rows.length, 1);
  const barW = Math.max(2, Math.min(36, step * 0.7));
  const parts = [];
  for (let t = 0; t <= 4; t++) {
    const value = (max * t) / 4;
    const y = top + plotH - (plotH * t) / 4;
    parts.push(svg('line', { x1: left, x2: width, y1: y, y2: y, stroke: '#e6eaef' }));
    parts.push(svg('text', { x: left - 6, y: y + 3, 'text-anchor': 'end' }, compact(value)));
  }
  const labelEvery = Math.ceil(rows.length / 8);
  rows.forEach((row, i) => {
    const x = left + i * step + (step - barW) / 2;
    let y = top + plotH;
    for (const s of series) {
      const value = row[s.key] || 0;
      const barH = max ? (plotH * value) / max : 0;
      y -= barH;
      if (barH > 0) {
        parts.push(svg('rect', { x, y, width: barW, height: barH, fill: s.color },
          svg('title', {}, `${row.label} · ${s.label}: ${number(value)}`)));
      }
    }
    if (i % labelEvery === 0) {
      parts.push(svg('text', { x: x + barW / 2, y: height - 6, 'text-anchor': 'middle' }, row.label.slice(5)));
    }
  });
  const chart = svg('svg', { class: 'chart', viewBox: `0 0 ${width} ${height}`, role: 'img',
    'aria-label': title || series.map(s => s.label).join(', ') }, parts);
  const legend = h('div.legend', series.map(s => h('span', h('i', { style: { background: s.color } }), s.label)));
  return h('div', chart, legend);
}

function niceMax(value) {
  if (value <= 0) return 4;
  const magnitude = 10 ** Math.floor(Math.log10(value));
  const scaled = value / magnitude;
  const nice = scaled <= 1 ? 1 : scaled <= 2 ? 2 : scaled <= 4 ? 4 : scaled <= 5 ? 5 : 10;
  return Math.max(4, nice * magnitude);
}

function compact(value) {
  if (value >= 1e9) return (value / 1e9).toFixed(1).replace(/\.0$/, '') + 'G';
  if (value >= 1e6) return (value / 1e6).toFixed(1).replace(/\.0$/, '') + 'M';
  if (value >= 1e3) return (value / 1e3).toFixed(1).replace(/\.0$/, '') + 'k';
  return String(Math.round(value * 10) / 10);
}

/** Days from `from` to `to` (YYYY-MM-DD, inclusive), each a row {label} to be filled. */
export function dayRows(from, to) {
  const rows = [];
  for (let t = Date.parse(from + 'T00:00:00Z'); t <= Date.parse(to + 'T00:00:00Z'); t += 86400000) {
    rows.push({ label: new Date(t).toISOString().slice(0, 10) });
  }
  return rows;
}
