// One model: its spec and analysis, its instances (state, placement and why, download progress, restarts), and an
// instance's backend log, following live.
import { h, fill, table, badge, bytes, ago, act } from '../dom.js';
import { api, listAll, followText } from '../api.js';
import { meter } from '../charts.js';
import { modelState, scaler, describeSource, claimText, parameters } from './models.js';
import { perWorker } from './dashboard.js';

const LOG_LIMIT = 200_000;

export function mount(el, ctx) {
  const modelId = ctx.params[0];
  const header = h('div.head#model-header');
  const facts = h('div#model-facts');
  const instances = h('div#instances');
  const detail = h('section.panel.hidden#instance-detail');
  fill(el, header, h('div.grid.two',
    h('section.panel', h('h2', 'Spec and analysis'), facts),
    h('section.panel', h('h2', 'Instances'), instances)), detail);

  let selected = null;
  let log = null;

  function select(instance) {
    if (selected === instance.id) return;
    selected = instance.id;
    log?.stop();
    const placement = h('div#placement');
    const logView = h('pre.log#instance-log');
    const follow = h('input#log-follow', { type: 'checkbox', checked: true });
    const status = h('span.small.muted#log-status');
    fill(detail,
      h('h2', 'Instance ', h('span.mono', instance.name)),
      h('div.grid.two',
        h('div', h('h3', 'Placement'), placement),
        h('div',
          h('div.row.between', h('h3', 'Log'), h('div.row', status, h('label.check', follow, 'follow'))),
          logView)));
    detail.classList.remove('hidden');
    log = logFollower(instance.id, logView, status, follow);
    showPlacement(placement, instance.id);
  }

  async function showPlacement(target, id) {
    const one = await api('/api/v1/instances/' + id);
    fill(target, placementView(one));
  }

  async function refresh() {
    const [model, list] = await Promise.all([api('/api/v1/models/' + modelId),
      listAll('/api/v1/instances?model_id=' + encodeURIComponent(modelId))]);
    fill(header, h('h1', model.name, ' ', modelState(model, list)),
      h('div.row', h('span.muted', 'replicas'), scaler(model, ctx, refresh),
        h('button.danger', {
          onclick: e => {
            if (!confirm(`Delete model ${model.name}? Its instances are stopped.`)) return;
            act(e.target, ctx.messages, async () => {
              await api('/api/v1/models/' + model.id, { method: 'DELETE' });
              location.hash = '#/models';
            });
          },
        }, 'Delete')));
    fill(facts, modelFacts(model));
    fill(instances, table([
      { title: 'Instance', value: i => h('span.mono.small', i.name) },
      { title: 'State', value: i => h('span', badge(i.state), h('div.muted.small', ago(i.state_since))) },
      { title: 'Worker', value: i => i.worker_name ? `${i.worker_name}${i.gpu_indexes?.length ? ' · GPU ' + i.gpu_indexes.join(',') : ''}` : '—' },
      { title: 'Download', value: i => download(i) },
      { title: 'Restarts', className: 'num', value: i => String(i.restart_count) },
    ], list, {
      empty: 'No instances: the model has 0 replicas.',
      onRow: select,
      rowAttrs: i => ({ class: 'clickable' + (i.id === selected ? ' selected' : ''), 'data-instance': i.name }),
    }));
    if (!selected && list.length) select(list.find(i => i.state === 'RUNNING') || list[0]);
    else if (selected && list.some(i => i.id === selected)) {
      const target = document.getElementById('placement');
      if (target) await showPlacement(target, selected);
    }
    return model;
  }

  return {
    refresh,
    stop: () => log?.stop(),
  };
}

function download(i) {
  if (i.download_progress === null || i.download_progress === undefined) return h('span.muted', '—');
  const pct = Math.round(i.download_progress * 100);
  return h('div', { style: { minWidth: '80px' } }, meter([{ value: pct, className: 'progress' }], 100),
    h('div.small.muted', pct + ' %'));
}

function modelFacts(m) {
  const f = m.analysis?.facts || {};
  const rows = [
    ['Source', h('span.mono.small', describeSource(m.source))],
    ['Backend', m.backend + (m.backend_version ? ' ' + m.backend_version : '')],
    ['Parameters', m.backend_parameters?.length ? m.backend_parameters.map(p => h('span.chip', p)) : '—'],
    ['Analysis', m.analysis ? h('span', badge(m.analysis.state, m.analysis.state === 'ANALYZED' ? 'ok' : 'warn'),
      m.analysis.message ? ' ' + m.analysis.message : '') : '—'],
    ['Architecture', [f.architecture, f.quantization].filter(Boolean).join(' · ') || '—'],
    ['Size', f.parameter_count ? `${parameters(f.parameter_count)}, ${f.layers} layers, weights ${bytes(f.weight_bytes)}` : '—'],
    ['Context', f.context_length ? String(f.context_length) : '—'],
    ['Needs', m.estimate ? `${bytes(m.estimate.vram_bytes)} VRAM, ${bytes(m.estimate.ram_bytes)} RAM (whole on one GPU)` : '—'],
    ['Placement', `${m.placement_strategy}${m.cpu_offloading ? ', CPU offloading' : ''}${m.distributed_inference ? ', distributed' : ''}`],
  ];
  return h('dl.facts', rows.map(([k, v]) => [h('dt', k), h('dd', v)]));
}

function placementView(i) {
  const p = i.placement;
  const parts = [h('div.row', badge(i.state), i.state_message ? h('span.small', i.state_message) : null)];
  if (p?.fits) {
    parts.push(h('dl.facts.small', { style: { marginTop: '8px' } },
      h('dt', 'Worker'), h('dd', p.worker_name || p.worker_id),
      h('dt', 'GPUs'), h('dd', p.gpu_indexes?.length ? p.gpu_indexes.join(', ') : 'none (CPU)'),
      p.claim ? [h('dt', 'Claim'), h('dd', claimText(p.claim))] : null,
      p.shape ? [h('dt', 'Shape'), h('dd', `${p.shape.kind}, ${p.shape.gpu_layers} layers on GPU`)] : null,
      p.score !== undefined && p.score !== null ? [h('dt', 'Score'), h('dd', p.score.toFixed(3))] : null,
      p.rationale ? [h('dt', 'Why here'), h('dd#placement-rationale', p.rationale)] : null,
      i.endpoint ? [h('dt', 'Endpoint'), h('dd.mono', i.endpoint)] : null,
      i.pid ? [h('dt', 'Process'), h('dd.mono', String(i.pid))] : null));
  } else if (p) {
    parts.push(h('div.small', { style: { marginTop: '8px' } }, p.reason), perWorker(p.per_worker));
  } else {
    parts.push(h('div.muted.small', 'Not placed yet.'));
  }
  return h('div', parts);
}

/** Follows an instance's log while `follow` is checked; reconnects when the stream ends (a restarted backend). */
function logFollower(instanceId, view, status, follow) {
  let controller = null;
  let stopped = false;
  let retry = null;

  const atBottom = () => view.scrollHeight - view.scrollTop - view.clientHeight < 24;
  function append(text) {
    const stick = atBottom();
    view.textContent = (view.textContent + text).slice(-LOG_LIMIT);
    if (stick) view.scrollTop = view.scrollHeight;
  }

  async function run() {
    if (stopped || !follow.checked) return;
    controller = new AbortController();
    view.textContent = '';
    status.textContent = 'following';
    try {
      await followText(`/api/v1/instances/${encodeURIComponent(instanceId)}/logs?tail=200&follow=true`, append,
        { signal: controller.signal });
      status.textContent = 'the log ended; reconnecting';
    } catch (e) {
      if (e.name === 'AbortError') return;
      status.textContent = e.message;
    }
    if (!stopped && follow.checked) retry = setTimeout(run, 3000);
  }

  follow.addEventListener('change', () => {
    if (follow.checked) {
      run();
    } else {
      controller?.abort();
      clearTimeout(retry);
      status.textContent = 'paused';
    }
  });
  run();
  return {
    stop() {
      stopped = true;
      clearTimeout(retry);
      controller?.abort();
    },
  };
}
