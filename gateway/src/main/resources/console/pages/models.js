// Models: the list with state and replicas (scale, delete), and deploying a new one with a live evaluation preview
// (POST /api/v1/model-evaluations: where it would go, what it needs, or why it fits nowhere) before creating it.
import { h, fill, table, badge, bytes, field, act } from '../dom.js';
import { api, listAll } from '../api.js';
import { perWorker } from './dashboard.js';

const BACKENDS = ['', 'llama-box', 'vllm', 'vox-box', 'mindie'];

export function mount(el, ctx) {
  const list = h('div#model-list');
  const deployPanel = h('section.panel.hidden#deploy-panel');
  const deployButton = h('button.primary#deploy-open', { onclick: () => openDeploy() }, 'Deploy a model');
  fill(el, h('div.head', h('h1', 'Models'), deployButton), deployPanel, h('section.panel', list));

  function openDeploy() {
    deployPanel.classList.remove('hidden');
    deployButton.disabled = true;
    fill(deployPanel, deployForm(ctx, () => {
      deployPanel.classList.add('hidden');
      deployButton.disabled = false;
    }));
    deployPanel.querySelector('input')?.focus();
  }

  async function refresh() {
    const [models, instances] = await Promise.all([listAll('/api/v1/models'), listAll('/api/v1/instances')]);
    fill(list, table([
      { title: 'Name', value: m => h('a', { href: '#/models/' + m.id, 'data-model': m.name }, m.name) },
      { title: 'State', value: m => modelState(m, instances.filter(i => i.model_id === m.id)) },
      { title: 'Replicas', value: m => scaler(m, ctx, refresh) },
      { title: 'Backend', className: 'hide-narrow', value: m => m.backend },
      { title: 'Source', className: 'hide-narrow', value: m => h('span.mono.small', describeSource(m.source)) },
      { title: 'Needs', className: 'hide-narrow', value: m => m.estimate
        ? `${bytes(m.estimate.vram_bytes)} VRAM · ${bytes(m.estimate.ram_bytes)} RAM` : '—' },
      { title: '', value: m => h('button.small.danger', {
        onclick: e => {
          if (!confirm(`Delete model ${m.name}? Its instances are stopped.`)) return;
          act(e.target, ctx.messages, async () => {
            await api('/api/v1/models/' + m.id, { method: 'DELETE' });
            await refresh();
          });
        },
      }, 'Delete') },
    ], models, { empty: 'No models yet: deploy one.' }));
  }

  return { refresh };
}

/** "1/2 running" with the most telling state's badge. */
export function modelState(model, instances) {
  const running = instances.filter(i => i.state === 'RUNNING').length;
  const order = ['ERROR', 'UNREACHABLE', 'PENDING', 'DOWNLOADING', 'STARTING', 'SCHEDULED', 'RUNNING'];
  const worst = order.find(s => instances.some(i => i.state === s));
  return h('span', { 'data-state': worst || 'NONE' }, badge(worst || (model.replicas ? 'PENDING' : 'stopped')),
    h('span.muted.small', ` ${running}/${model.replicas} running`));
}

export function scaler(model, ctx, after) {
  const set = replicas => async e => act(e.target, ctx.messages, async () => {
    await api('/api/v1/models/' + model.id, { method: 'PUT', body: specOf(model, { replicas }) });
    await after();
  });
  return h('span.row', { style: { flexWrap: 'nowrap', gap: '6px' } },
    h('button.small', { title: 'one replica less', disabled: model.replicas <= 0, onclick: set(model.replicas - 1) }, '−'),
    h('span.mono', { 'data-replicas': model.name }, String(model.replicas)),
    h('button.small', { title: 'one replica more', onclick: set(model.replicas + 1) }, '+'));
}

/** The spec of a model as PUT takes it back (the view's spec fields, nothing the registry added). */
export function specOf(m, changes = {}) {
  return {
    name: m.name, source: m.source, backend: m.backend, backend_version: m.backend_version,
    backend_parameters: m.backend_parameters, env: m.env, replicas: m.replicas, categories: m.categories,
    placement_strategy: m.placement_strategy, cpu_offloading: m.cpu_offloading,
    distributed_inference: m.distributed_inference, worker_selector: m.worker_selector,
    gpu_selector: m.gpu_selector, restart_on_error: m.restart_on_error, ...changes,
  };
}

export function describeSource(s) {
  if (!s) return '—';
  if (s.type === 'huggingface') return `huggingface ${s.repo_id}${s.file_name ? ' / ' + s.file_name : ''}`;
  if (s.type === 'modelscope') return `modelscope ${s.model_id}${s.file_path ? ' / ' + s.file_path : ''}`;
  return s.path;
}

function deployForm(ctx, close) {
  const sourceType = h('select#deploy-source', h('option', { value: 'huggingface' }, 'Hugging Face'),
    h('option', { value: 'modelscope' }, 'ModelScope'), h('option', { value: 'local_path' }, 'Local path'));
  const inputs = {
    repo: h('input#deploy-repo', { placeholder: 'Qwen/Qwen2.5-0.5B-Instruct-GGUF' }),
    file: h('input#deploy-file', { placeholder: 'qwen2.5-0.5b-instruct-q4_k_m.gguf (GGUF: one file)' }),
    path: h('input#deploy-path', { placeholder: '/models/model.gguf' }),
    name: h('input#deploy-name', { placeholder: 'my-model' }),
    backend: h('select#deploy-backend', BACKENDS.map(b => h('option', { value: b }, b || 'chosen for the model'))),
    replicas: h('input#deploy-replicas', { type: 'number', min: 0, max: 100, value: 1 }),
    parameters: h('textarea#deploy-parameters', { placeholder: '--ctx-size=4096\n(one flag a line)' }),
  };
  const repoField = field('Repository', inputs.repo);
  const fileField = field('File', inputs.file);
  const pathField = field('Path on the workers', inputs.path);
  pathField.classList.add('wide');
  const preview = h('div#evaluation', h('div.empty', 'Fill in the source to see where the model would go.'));
  const messages = h('div', { class: 'hidden' });
  const submit = h('button.primary#deploy-submit', { type: 'submit' }, 'Deploy');

  function spec() {
    const type = sourceType.value;
    const source = type === 'local_path' ? { type, path: inputs.path.value.trim() }
      : type === 'huggingface' ? { type, repo_id: inputs.repo.value.trim(), file_name: inputs.file.value.trim() || undefined }
        : { type, model_id: inputs.repo.value.trim(), file_path: inputs.file.value.trim() || undefined };
    const parameters = inputs.parameters.value.split('\n').map(s => s.trim()).filter(Boolean);
    return {
      name: inputs.name.value.trim() || suggestName(source),
      source,
      backend: inputs.backend.value || undefined,
      replicas: Number(inputs.replicas.value || 1),
      backend_parameters: parameters.length ? parameters : undefined,
    };
  }

  function showSourceFields() {
    const local = sourceType.value === 'local_path';
    repoField.classList.toggle('hidden', local);
    fileField.classList.toggle('hidden', local);
    pathField.classList.toggle('hidden', !local);
    repoField.querySelector('label').textContent = sourceType.value === 'modelscope' ? 'Model id' : 'Repository';
  }

  let timer = null;
  let asked = 0;
  function evaluateSoon() {
    clearTimeout(timer);
    timer = setTimeout(evaluate, 350);
  }
  async function evaluate() {
    const s = spec();
    const src = s.source;
    if (!(src.path || src.repo_id || src.model_id)) return;
    const mine = ++asked;
    fill(preview, h('div.muted', 'Evaluating …'));
    try {
      const answer = await api('/api/v1/model-evaluations', { method: 'POST', body: { model_specs: [s] } });
      if (mine === asked) fill(preview, evaluationView(answer.results[0]));
    } catch (e) {
      if (mine === asked) fill(preview, h('div.banner.error', e.message));
    }
  }

  sourceType.addEventListener('change', () => { showSourceFields(); evaluateSoon(); });
  for (const input of Object.values(inputs)) {
    input.addEventListener('input', evaluateSoon);
    input.addEventListener('change', evaluateSoon);
  }
  showSourceFields();

  const form = h('form', {
    onsubmit: e => {
      e.preventDefault();
      act(submit, messages, async () => {
        const created = await api('/api/v1/models', { method: 'POST', body: spec() });
        close();
        ctx.ok(`Model ${created.name} created` + (created.warnings?.length ? ': ' + created.warnings.join('; ') : '.'));
        location.hash = '#/models/' + created.id;
      });
    },
  },
  h('h2', 'Deploy a model'),
  messages,
  h('div.grid.two',
    h('div',
      h('div.fields', field('Source', sourceType), repoField, fileField, pathField),
      h('div.fields', field('Name', inputs.name, 'default: from the source'), field('Backend', inputs.backend),
        field('Replicas', inputs.replicas)),
      field('Backend parameters', inputs.parameters)),
    h('div', h('h3', 'Evaluation'), preview)),
  h('div.row', submit, h('button', { type: 'button', onclick: close }, 'Cancel')));
  return form;
}

function suggestName(source) {
  const raw = source.path || source.file_name || source.file_path || source.repo_id || source.model_id || '';
  const base = raw.split('/').pop().replace(/\.gguf$/i, '').toLowerCase().replace(/[^a-z0-9._-]+/g, '-');
  return base.replace(/^[^a-z0-9]+/, '').slice(0, 60) || undefined;
}

/** One result of /api/v1/model-evaluations. */
export function evaluationView(r) {
  const p = r.placement;
  const facts = r.analysis?.facts;
  return h('div', { 'data-compatible': String(r.compatible) },
    h('div.row', r.compatible ? badge('fits', 'ok') : badge('does not fit', 'bad'),
      r.estimate ? h('span.small', `needs ${bytes(r.estimate.vram_bytes)} VRAM, ${bytes(r.estimate.ram_bytes)} RAM`) : null),
    r.messages?.length ? h('ul.small', r.messages.map(m => h('li', m))) : null,
    p?.fits ? h('dl.facts.small', { style: { marginTop: '8px' } },
      h('dt', 'Worker'), h('dd#evaluation-worker', p.worker_name || p.worker_id),
      h('dt', 'GPUs'), h('dd', p.gpu_indexes?.length ? p.gpu_indexes.join(', ') : 'none (CPU)'),
      p.claim ? [h('dt', 'Claim'), h('dd', claimText(p.claim))] : null,
      p.shape ? [h('dt', 'Shape'), h('dd', `${p.shape.kind}, ${p.shape.gpu_layers} layers on GPU`)] : null,
      p.rationale ? [h('dt', 'Why'), h('dd', p.rationale)] : null) : null,
    p && !p.fits ? h('div.small', { style: { marginTop: '8px' } }, p.reason, perWorker(p.per_worker)) : null,
    facts ? h('div.muted.small', { style: { marginTop: '8px' } },
      [facts.architecture, facts.quantization, facts.parameter_count ? parameters(facts.parameter_count) : null,
        facts.context_length ? 'context ' + facts.context_length : null].filter(Boolean).join(' · ')) : null);
}

/** 7.6 B, 494 M or 129 K parameters. */
export function parameters(n) {
  const [value, unit] = n >= 1e9 ? [n / 1e9, 'B'] : n >= 1e6 ? [n / 1e6, 'M'] : [n / 1e3, 'K'];
  return `${value >= 100 ? Math.round(value) : value.toFixed(1)} ${unit} parameters`;
}

export function claimText(claim) {
  const vram = Object.entries(claim.vram_bytes_by_gpu || {}).map(([g, b]) => `GPU ${g}: ${bytes(b)}`);
  return [...vram, `RAM ${bytes(claim.ram_bytes)}`].join(' · ');
}

