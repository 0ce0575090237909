// Dashboard: the fleet at a glance. Workers, every GPU's memory (claimed by gpufleet, used by others, free),
// instances by state, requests and tokens per day, and what waits for a place and why.
import { h, fill, table, badge, bytes, number, ago, day } from '../dom.js';
import { api, listAll } from '../api.js';
import { meter, columns, dayRows } from '../charts.js';

const STATES = ['RUNNING', 'STARTING', 'DOWNLOADING', 'SCHEDULED', 'PENDING', 'ERROR', 'UNREACHABLE'];
const STATE_COLORS = {
  RUNNING: '#1a7f37', STARTING: '#54aeff', DOWNLOADING: '#218bff', SCHEDULED: '#80ccff', PENDING: '#e3a008',
  ERROR: '#cf222e', UNREACHABLE: '#8c959f',
};
/** States whose instance holds its claim on a worker. */
const HOLDING = new Set(['SCHEDULED', 'DOWNLOADING', 'STARTING', 'RUNNING', 'ERROR', 'UNREACHABLE']);

export function mount(el) {
  const stats = h('div.grid.stats#stats');
  const gpus = h('div#gpus');
  const states = h('div#instance-states');
  const workers = h('div#workers');
  const pending = h('div#pending');
  const usage = h('div#usage-chart');
  fill(el,
    h('h1', 'Dashboard'),
    stats,
    h('div.grid.two',
      h('section.panel', h('h2', 'GPUs'), gpus),
      h('div',
        h('section.panel', h('h2', 'Instances by state'), states),
        h('section.panel', h('h2', 'Waiting for a place'), pending))),
    h('section.panel', h('h2', 'Workers'), workers),
    h('section.panel', h('h2', 'Requests and tokens, last 14 days'), usage));

  async function refresh() {
    const from = day(-13);
    const [workerList, instanceList, modelList, usageRows] = await Promise.all([
      listAll('/api/v1/workers'), listAll('/api/v1/instances'), listAll('/api/v1/models'),
      listAll('/api/v1/usage?from=' + from)]);
    const today = usageRows.filter(r => r.day === day(0));
    const gpuCount = workerList.reduce((n, w) => n + w.gpus.length, 0);
    fill(stats,
      stat('Workers ready', `${workerList.filter(w => w.state === 'READY').length} / ${workerList.length}`),
      stat('GPUs', number(gpuCount)),
      stat('Models', number(modelList.length)),
      stat('Instances running', `${instanceList.filter(i => i.state === 'RUNNING').length} / ${instanceList.length}`,
        'instances-running'),
      stat('Requests today', number(sum(today, 'requests'))),
      stat('Tokens today', number(sum(today, 'total_tokens'))));
    fill(gpus, gpuList(workerList, instanceList));
    fill(states, stateBar(instanceList));
    fill(workers, workerTable(workerList, instanceList));
    fill(usage, usageChart(usageRows, from));
    fill(pending, await pendingList(instanceList));
  }

  return { refresh };
}

function stat(label, value, id) {
  return h('div.stat', { id: id ? 'stat-' + id : null }, h('div.value', value), h('div.label', label));
}

function sum(rows, key) {
  return rows.reduce((n, r) => n + (r[key] || 0), 0);
}

/** Bytes claimed by gpufleet's instances, by "workerId:gpuIndex". */
export function claims(instances) {
  const claimed = new Map();
  for (const i of instances) {
    if (!HOLDING.has(i.state) || !i.worker_id || !i.claim) continue;
    for (const [index, amount] of Object.entries(i.claim.vram_bytes_by_gpu || {})) {
      const key = i.worker_id + ':' + index;
      claimed.set(key, (claimed.get(key) || 0) + amount);
    }
  }
  return claimed;
}

function gpuList(workers, instances) {
  const claimed = claims(instances);
  const rows = [];
  for (const w of workers) {
    for (const g of w.gpus) {
      const mine = claimed.get(w.id + ':' + g.index) || 0;
      const others = Math.max(0, g.memory_used_bytes - mine);
      const free = Math.max(0, g.memory_total_bytes - mine - others);
      rows.push(h('div.gpu', { 'data-gpu': w.name + ':' + g.index },
        h('div.row.between',
          h('span', h('span.name', g.name), ' ', h('span.muted', `${w.name} · GPU ${g.index} · ${g.vendor}`)),
          h('span.muted.small', `${Math.round(g.utilization_percent)} % busy`)),
        meter([
          { value: mine, className: 'claimed', title: 'claimed by gpufleet' },
          { value: others, className: 'others', title: 'used by others' },
        ], g.memory_total_bytes),
        h('div.small.muted', `${bytes(mine)} claimed by gpufleet · ${bytes(others)} used by others · `
          + `${bytes(free)} free of ${bytes(g.memory_total_bytes)}`)));
    }
  }
  if (!rows.length) return h('div.empty', 'No GPUs: the workers run models on their CPUs.');
  return h('div', rows, h('div.legend', h('span', h('i.claimed', { style: { background: 'var(--accent)' } }),
    'claimed by gpufleet'), h('span', h('i', { style: { background: 'var(--others)' } }), 'used by others'),
  h('span', h('i', { style: { background: '#e9edf1' } }), 'free')));
}

function stateBar(instances) {
  if (!instances.length) return h('div.empty', 'No instances: deploy a model.');
  const counts = STATES.map(s => ({ state: s, n: instances.filter(i => i.state === s).length }))
    .filter(c => c.n > 0);
  return h('div',
    h('div.bar', { style: { height: '16px' } }, counts.map(c => h('span', {
      title: `${c.state}: ${c.n}`,
      style: { width: (100 * c.n / instances.length) + '%', background: STATE_COLORS[c.state] },
    }))),
    h('div.legend', counts.map(c => h('span', { 'data-state': c.state },
      h('i', { style: { background: STATE_COLORS[c.state] } }), `${c.state} ${c.n}`))));
}

function workerTable(workers, instances) {
  return table([
    { title: 'Worker', value: w => h('span', h('strong', w.name), h('div.muted.small', w.address)) },
    { title: 'State', value: w => h('span', badge(w.state), w.draining ? [' ', badge('draining', 'warn')] : null) },
    { title: 'GPUs', value: w => w.gpus.length ? w.gpus.map(g => g.name).join(', ') : 'CPU only' },
    { title: 'Instances', className: 'num', value: w => String(instances.filter(i => i.worker_id === w.id).length) },
    { title: 'Memory', className: 'hide-narrow', value: w => h('div', { style: { minWidth: '120px' } },
      meter([{ value: w.memory_used_bytes, className: 'used' }], w.memory_total_bytes),
      h('div.small.muted', `${bytes(w.memory_used_bytes)} / ${bytes(w.memory_total_bytes)}`)) },
    { title: 'Heartbeat', className: 'hide-narrow', value: w => ago(w.last_heartbeat_at) },
  ], workers, { empty: 'No workers yet: start a worker agent.' });
}

function usageChart(rows, from) {
  const days = dayRows(from, day(0));
  const byDay = new Map(days.map(d => [d.label, d]));
  for (const r of rows) {
    const d = byDay.get(r.day);
    if (!d) continue;
    d.requests = (d.requests || 0) + r.requests;
    d.prompt = (d.prompt || 0) + r.prompt_tokens;
    d.completion = (d.completion || 0) + r.completion_tokens;
  }
  return h('div.grid.two',
    h('div', h('h3', 'Requests'), columns(days, [{ key: 'requests', label: 'requests', color: '#1f6feb' }],
      { title: 'requests per day' })),
    h('div', h('h3', 'Tokens'), columns(days, [
      { key: 'prompt', label: 'prompt tokens', color: '#54aeff' },
      { key: 'completion', label: 'completion tokens', color: '#1a7f37' }], { title: 'tokens per day' })));
}

async function pendingList(instances) {
  const waiting = instances.filter(i => i.state === 'PENDING' || i.state === 'ERROR');
  if (!waiting.length) return h('div.empty', 'Nothing waits: every instance has a place.');
  // the list leaves out why an instance fits nowhere: ask for each (a few at most)
  const detailed = await Promise.all(waiting.slice(0, 8).map(i => api('/api/v1/instances/' + i.id).catch(() => i)));
  return h('div', detailed.map(i => h('div.gpu',
    h('div.row', badge(i.state), h('a', { href: '#/models/' + i.model_id }, i.name)),
    h('div.small', i.placement?.reason || i.state_message || 'waiting for the scheduler'),
    perWorker(i.placement?.per_worker))),
  waiting.length > 8 ? h('div.muted.small', `and ${waiting.length - 8} more`) : null);
}

export function perWorker(reasons) {
  if (!reasons || !Object.keys(reasons).length) return null;
  return h('ul.small.muted', { style: { margin: '4px 0 0', paddingLeft: '18px' } },
    Object.entries(reasons).map(([worker, why]) => h('li', h('strong', worker), ': ', why)));
}
