// Small DOM helpers. Text from the API is only ever set as text (never as HTML), so nothing it holds can run.

/** h('div.panel#id', {onclick, ...attrs}, ...children): an element; children are nodes, strings or arrays. */
export function h(spec, attrs, ...children) {
  if (attrs instanceof Node || typeof attrs === 'string' || typeof attrs === 'number' || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = null;
  }
  const [, tag, rest] = spec.match(/^([a-z0-9]+)?(.*)$/i);
  const el = document.createElement(tag || 'div');
  for (const part of rest.match(/[.#][^.#]+/g) || []) {
    if (part[0] === '.') el.classList.add(part.slice(1));
    else el.id = part.slice(1);
  }
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
    else if (key === 'value') el.value = value;
    else if (key === 'checked') el.checked = !!value;
    else if (key === 'style' && typeof value === 'object') Object.assign(el.style, value);
    else el.setAttribute(key, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) el.setAttribute(key, value);
  for (const child of children.flat()) {
    if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

/**
 * A table: columns [{title, value: row => node|string, className}], rows; an empty text when there are none.
 * onRow: click handler making rows selectable.
 */
export function table(columns, rows, { empty = 'Nothing here yet.', onRow, rowAttrs } = {}) {
  if (!rows.length) return h('div.empty', empty);
  const head = h('tr', columns.map(c => h('th', { class: c.className }, c.title)));
  const body = rows.map(row => h('tr', {
    class: onRow ? 'clickable' : null,
    onclick: onRow ? () => onRow(row) : null,
    ...(rowAttrs ? rowAttrs(row) : {}),
  }, columns.map(c => h('td', { class: c.className }, c.value(row)))));
  return h('div.table-wrap', h('table', h('thead', head), h('tbody', body)));
}

const STATE_TONES = {
  RUNNING: 'ok', READY: 'ok', active: 'ok', enabled: 'ok',
  PENDING: 'warn', SCHEDULED: 'info', DOWNLOADING: 'info', STARTING: 'info', MAINTENANCE: 'warn',
  NOT_READY: 'warn', expired: 'warn', DRAINING: 'warn',
  ERROR: 'bad', UNREACHABLE: 'bad', revoked: 'bad', disabled: 'bad', FAILED: 'bad',
};
export function badge(state, tone) {
  return h('span.badge', { class: 'badge ' + (tone || STATE_TONES[state] || '') }, String(state ?? '—'));
}

export function bytes(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = Number(n);
  while (Math.abs(v) >= 1024 && i < units.length - 1) { v /= 1024; i++; }
  return (i === 0 ? v.toFixed(0) : v.toFixed(v >= 100 ? 0 : 1)) + ' ' + units[i];
}

export function number(n) {
  return n === null || n === undefined ? '—' : Number(n).toLocaleString('en-US');
}

/** "3 s ago", "5 min ago", or a date. */
export function ago(iso) {
  if (!iso) return '—';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 0) return 'in ' + duration(-seconds);
  if (seconds < 5) return 'just now';
  if (seconds < 86400) return duration(seconds) + ' ago';
  return date(iso);
}

export function duration(seconds) {
  if (seconds < 60) return seconds + ' s';
  if (seconds < 3600) return Math.floor(seconds / 60) + ' min';
  if (seconds < 86400) return Math.floor(seconds / 3600) + ' h ' + Math.floor((seconds % 3600) / 60) + ' min';
  return Math.floor(seconds / 86400) + ' d';
}

export function date(iso) {
  return iso ? new Date(iso).toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : '—';
}

/** A day as YYYY-MM-DD (UTC), `offset` days from today. */
export function day(offset = 0) {
  return new Date(Date.now() + offset * 86400000).toISOString().slice(0, 10);
}

export function field(labelText, input, hint) {
  return h('div.field', h('label', labelText), input, hint ? h('div.muted.small', hint) : null);
}

/** A message over the page's content: kind 'error' or 'ok'; null clears it. */
export function banner(el, kind, text) {
  if (!text) {
    el.replaceChildren();
    el.className = 'hidden';
    return;
  }
  el.className = 'banner ' + kind;
  el.textContent = text;
}

/** Runs an action from a button: disabled while it runs, errors shown in `messages` (a banner element). */
export async function act(button, messages, action) {
  button.disabled = true;
  try {
    await action();
    banner(messages, null);
  } catch (e) {
    banner(messages, 'error', e.message);
  } finally {
    button.disabled = false;
  }
}
