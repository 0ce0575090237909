// Usage: tokens and requests by day, key and model, as charts and a table. An admin sees every key's; a user its
// own keys' (the API decides).
import { h, fill, table, field, number, day } from '../dom.js';
import { listAll } from '../api.js';
import { columns, hbars, dayRows } from '../charts.js';

export function mount(el, ctx) {
  const from = h('input#usage-from', { type: 'date', value: day(-29) });
  const to = h('input#usage-to', { type: 'date', value: day(0) });
  const model = h('input#usage-model', { placeholder: 'any model' });
  const totals = h('div.grid.stats#usage-totals');
  const perDay = h('div#usage-per-day');
  const byKey = h('div#usage-by-key');
  const byModel = h('div#usage-by-model');
  const rows = h('div#usage-table');
  fill(el, h('h1', 'Usage'),
    h('section.panel', h('div.fields', field('From', from), field('To', to), field('Model', model)),
      h('div.muted.small', ctx.me.admin ? 'Every key\'s usage, by UTC day.' : 'Your keys\' usage, by UTC day.')),
    totals,
    h('section.panel', h('h2', 'Per day'), perDay),
    h('div.grid.two', h('section.panel', h('h2', 'By key'), byKey), h('section.panel', h('h2', 'By model'), byModel)),
    h('section.panel', h('h2', 'Rows'), rows));
  for (const input of [from, to, model]) input.addEventListener('change', () => refresh().catch(ctx.fail));

  async function refresh() {
    const query = new URLSearchParams();
    if (from.value) query.set('from', from.value);
    if (to.value) query.set('to', to.value);
    if (model.value.trim()) query.set('model', model.value.trim());
    const [usage, keys] = await Promise.all([listAll('/api/v1/usage?' + query), listAll('/api/v1/api-keys')]);
    const keyName = new Map(keys.map(k => [k.id, ctx.me.admin ? `${k.name} (${k.user_name})` : k.name]));
    keyName.set('cluster', 'cluster token');
    const nameOf = id => keyName.get(id) || id;

    fill(totals,
      stat('Requests', sum(usage, 'requests')), stat('Prompt tokens', sum(usage, 'prompt_tokens')),
      stat('Completion tokens', sum(usage, 'completion_tokens')), stat('Total tokens', sum(usage, 'total_tokens')),
      stat('Keys', new Set(usage.map(r => r.key_id)).size), stat('Models', new Set(usage.map(r => r.model)).size));

    const days = dayRows(from.value || (usage[0]?.day ?? day(-29)), to.value || day(0)).slice(-92);
    const byDay = new Map(days.map(d => [d.label, d]));
    for (const r of usage) {
      const d = byDay.get(r.day);
      if (!d) continue;
      d.prompt = (d.prompt || 0) + r.prompt_tokens;
      d.completion = (d.completion || 0) + r.completion_tokens;
      d.requests = (d.requests || 0) + r.requests;
    }
    fill(perDay, h('div.grid.two',
      h('div', h('h3', 'Tokens'), columns(days, [
        { key: 'prompt', label: 'prompt tokens', color: '#54aeff' },
        { key: 'completion', label: 'completion tokens', color: '#1a7f37' }], { title: 'tokens per day' })),
      h('div', h('h3', 'Requests'), columns(days, [{ key: 'requests', label: 'requests', color: '#1f6feb' }],
        { title: 'requests per day' }))));
    fill(byKey, hbars(group(usage, r => nameOf(r.key_id))));
    fill(byModel, hbars(group(usage, r => r.model)));
    fill(rows, table([
      { title: 'Day', value: r => r.day },
      { title: 'Key', value: r => nameOf(r.key_id) },
      { title: 'Model', value: r => r.model },
      { title: 'Prompt', className: 'num', value: r => number(r.prompt_tokens) },
      { title: 'Completion', className: 'num', value: r => number(r.completion_tokens) },
      { title: 'Total', className: 'num', value: r => number(r.total_tokens) },
      { title: 'Requests', className: 'num', value: r => number(r.requests) },
    ], [...usage].reverse(), { empty: 'No usage in these days.' }));
  }

  return { refresh };
}

function stat(label, value) {
  return h('div.stat', h('div.value', number(value)), h('div.label', label));
}

function sum(rows, key) {
  return rows.reduce((n, r) => n + (r[key] || 0), 0);
}

function group(rows, keyOf) {
  const totals = new Map();
  for (const r of rows) totals.set(keyOf(r), (totals.get(keyOf(r)) || 0) + r.total_tokens);
  return [...totals].map(([label, value]) => ({ label, value, text: number(value) + ' tokens' }));
}
