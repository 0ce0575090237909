// Workers: each host with its state, devices, labels and load; cordon (nothing new placed there), drain (cordon and
// move its instances elsewhere) and uncordon.
import { h, fill, badge, bytes, ago, act } from '../dom.js';
import { api, listAll } from '../api.js';
import { meter } from '../charts.js';
import { claims } from './dashboard.js';

export function mount(el, ctx) {
  const list = h('div#worker-list');
  fill(el, h('h1', 'Workers'), list);

  async function refresh() {
    const [workers, instances] = await Promise.all([listAll('/api/v1/workers'), listAll('/api/v1/instances')]);
    if (!workers.length) {
      fill(list, h('div.panel.empty', 'No workers yet: start a worker agent and it registers itself.'));
      return;
    }
    const claimed = claims(instances);
    fill(list, workers.map(w => workerCard(w, instances.filter(i => i.worker_id === w.id), claimed, ctx, refresh)));
  }

  return { refresh };
}

function workerCard(w, instances, claimed, ctx, refresh) {
  const action = (verb, question) => h('button.small', {
    'data-action': verb,
    onclick: e => {
      if (question && !confirm(question)) return;
      act(e.target, ctx.messages, async () => {
        await api(`/api/v1/workers/${encodeURIComponent(w.id)}/${verb}`, { method: 'POST' });
        await refresh();
      });
    },
  }, verb[0].toUpperCase() + verb.slice(1));
  const actions = w.cordoned || w.draining
    ? [action('uncordon')]
    : [action('cordon'), action('drain', `Drain ${w.name}? Its ${instances.length} instance(s) move elsewhere.`)];
  return h('section.panel', { 'data-worker': w.name },
    h('div.row.between',
      h('div.row', h('h2', { style: { margin: 0 } }, w.name), badge(w.state),
        w.cordoned ? badge('cordoned', 'warn') : null, w.draining ? badge('draining', 'warn') : null),
      h('div.row', actions)),
    w.state_message ? h('div.small.muted', w.state_message) : null,
    h('div.grid.two', { style: { marginTop: '12px' } },
      h('dl.facts',
        h('dt', 'Address'), h('dd.mono', `${w.address}:${w.agent_port}`),
        h('dt', 'System'), h('dd', `${w.os} / ${w.arch}`),
        h('dt', 'CPU'), h('dd', `${w.cpu_cores} cores, ${Math.round(w.cpu_utilization_percent)} % busy`),
        h('dt', 'Memory'), h('dd', meter([{ value: w.memory_used_bytes, className: 'used' }], w.memory_total_bytes),
          h('span.small.muted', `${bytes(w.memory_used_bytes)} used of ${bytes(w.memory_total_bytes)}`)),
        h('dt', 'Instances'), h('dd', instances.length ? instances.map(i => h('span.chip', `${i.name} ${i.state}`)) : 'none'),
        h('dt', 'Labels'), h('dd', Object.keys(w.labels || {}).length
          ? Object.entries(w.labels).map(([k, v]) => h('span.chip', `${k}=${v}`)) : h('span.muted', 'none')),
        h('dt', 'Heartbeat'), h('dd', `${ago(w.last_heartbeat_at)} (every ${w.heartbeat_interval_seconds} s)`)),
      h('div', h('h3', { style: { marginTop: 0 } }, 'Devices'), w.gpus.length ? w.gpus.map(g => {
        const mine = claimed.get(w.id + ':' + g.index) || 0;
        const others = Math.max(0, g.memory_used_bytes - mine);
        return h('div.gpu',
          h('div', h('span.name', `GPU ${g.index} · ${g.name}`), h('span.muted.small', ` ${g.vendor} ${g.type}`)),
          meter([{ value: mine, className: 'claimed', title: 'claimed by gpufleet' },
            { value: others, className: 'others', title: 'used by others' }], g.memory_total_bytes),
          h('div.small.muted', `${bytes(mine)} claimed · ${bytes(others)} others · ${bytes(g.memory_total_bytes)} total · `
            + `${Math.round(g.utilization_percent)} % busy`));
      }) : h('div.muted', 'No GPUs: models run on the CPU.'))));
}
