// Playground: chat (streamed as it is generated, with the usual parameters), embeddings and rerank against any
// model, through the same OpenAI-compatible /v1 API clients use; each answer shows its tokens and latency.
import { h, fill, field, banner, number } from '../dom.js';
import { api, streamEvents } from '../api.js';
import { hbars } from '../charts.js';

export function mount(el) {
  const models = h('select#play-model');
  const tabs = h('div.tabs');
  const body = h('div');
  const messages = h('div', { class: 'hidden', id: 'play-error' });
  const views = { chat: chatView(models, messages), embeddings: embeddingsView(models, messages), rerank: rerankView(models, messages) };
  let active = null;
  function show(name) {
    active?.stop?.();
    active = views[name];
    for (const b of tabs.children) b.classList.toggle('active', b.dataset.tab === name);
    banner(messages, null);
    fill(body, active.el);
  }
  fill(tabs, ['chat', 'embeddings', 'rerank'].map(name => h('button', { 'data-tab': name, onclick: () => show(name) },
    name[0].toUpperCase() + name.slice(1))));
  fill(el, h('div.head', h('h1', 'Playground'), h('div', { style: { minWidth: '220px' } }, field('Model', models))),
    h('section.panel', tabs, messages, body));
  show('chat');

  let known = '';
  async function refresh() {
    const list = await api('/v1/models');
    const ids = list.data.map(m => m.id);
    if (ids.join('\n') === known) return;
    known = ids.join('\n');
    const chosen = models.value;
    fill(models, ids.length ? ids.map(id => h('option', { value: id }, id)) : h('option', { value: '' }, 'no models'));
    if (ids.includes(chosen)) models.value = chosen;
  }
  return { refresh, stop: () => active?.stop?.() };
}

function stats(parts) {
  return parts.filter(Boolean).join(' · ');
}

function ms(value) {
  return value >= 1000 ? (value / 1000).toFixed(2) + ' s' : Math.round(value) + ' ms';
}

function chatView(models, messages) {
  const history = [];
  const placeholder = () => h('div.muted.placeholder', 'Say something to the model.');
  const transcript = h('div.transcript#chat-transcript', placeholder());
  const input = h('textarea#chat-input', { placeholder: 'Message (Ctrl+Enter sends)', rows: 3 });
  const send = h('button.primary#chat-send', 'Send');
  const stop = h('button#chat-stop', { disabled: true }, 'Stop');
  const clear = h('button#chat-clear', 'Clear');
  const statsLine = h('div.stats-line#chat-stats');
  const params = {
    system: h('textarea#chat-system', { rows: 2, placeholder: 'You are a helpful assistant.' }),
    temperature: h('input#chat-temperature', { type: 'number', min: 0, max: 2, step: 0.1, value: 0.7 }),
    maxTokens: h('input#chat-max-tokens', { type: 'number', min: 1, max: 32768, value: 128 }),
    topP: h('input#chat-top-p', { type: 'number', min: 0, max: 1, step: 0.05, value: 1 }),
    seed: h('input#chat-seed', { type: 'number', placeholder: 'random' }),
    stream: h('input#chat-stream', { type: 'checkbox', checked: true }),
  };
  let controller = null;

  function bubble(role, text) {
    transcript.querySelector('.placeholder')?.remove();
    const textEl = h('div.text', text);
    transcript.append(h('div.msg', { class: 'msg ' + role }, h('div.who-said', role), textEl));
    transcript.scrollTop = transcript.scrollHeight;
    return textEl;
  }

  async function submit() {
    const content = input.value.trim();
    if (!content || controller) return;
    if (!models.value) {
      banner(messages, 'error', 'No model to talk to: deploy one first.');
      return;
    }
    banner(messages, null);
    input.value = '';
    history.push({ role: 'user', content });
    bubble('user', content);
    const out = bubble('assistant', '');
    const request = {
      model: models.value,
      messages: [...(params.system.value.trim() ? [{ role: 'system', content: params.system.value.trim() }] : []), ...history],
      max_tokens: Number(params.maxTokens.value) || undefined,
      temperature: params.temperature.value === '' ? undefined : Number(params.temperature.value),
      top_p: params.topP.value === '' ? undefined : Number(params.topP.value),
      seed: params.seed.value === '' ? undefined : Number(params.seed.value),
    };
    controller = new AbortController();
    send.disabled = true;
    stop.disabled = false;
    statsLine.textContent = 'waiting for the first token …';
    const t0 = performance.now();
    let first = null;
    let usage = null;
    let chunks = 0;
    let text = '';
    try {
      if (params.stream.checked) {
        await streamEvents('/v1/chat/completions', { ...request, stream: true, stream_options: { include_usage: true } },
          event => {
            const delta = event.choices?.[0]?.delta?.content;
            if (delta) {
              if (first === null) first = performance.now() - t0;
              chunks++;
              text += delta;
              out.textContent = text;
              transcript.scrollTop = transcript.scrollHeight;
              statsLine.textContent = `${chunks} chunks · first token ${ms(first)}`;
            }
            if (event.usage) usage = event.usage;
          }, { signal: controller.signal });
      } else {
        const answer = await api('/v1/chat/completions', { method: 'POST', body: request, signal: controller.signal });
        first = performance.now() - t0;
        text = answer.choices?.[0]?.message?.content ?? '';
        out.textContent = text;
        usage = answer.usage;
      }
      history.push({ role: 'assistant', content: text });
      const total = performance.now() - t0;
      const completion = usage?.completion_tokens ?? chunks;
      statsLine.textContent = stats([
        usage ? `${number(usage.prompt_tokens)} prompt + ${number(usage.completion_tokens)} completion tokens`
          : `${chunks} chunks`,
        first !== null ? `first token ${ms(first)}` : null,
        `${ms(total)} total`,
        completion && total > (first || 0) ? `${(completion / ((total - (first || 0)) / 1000)).toFixed(1)} tokens/s` : null]);
    } catch (e) {
      if (e.name === 'AbortError') {
        history.push({ role: 'assistant', content: text });
        statsLine.textContent = `stopped after ${ms(performance.now() - t0)}`;
      } else {
        history.pop();
        out.parentElement.remove();
        banner(messages, 'error', e.message);
        statsLine.textContent = '';
      }
    } finally {
      controller = null;
      send.disabled = false;
      stop.disabled = true;
    }
  }

  send.addEventListener('click', submit);
  stop.addEventListener('click', () => controller?.abort());
  clear.addEventListener('click', () => {
    history.length = 0;
    fill(transcript, placeholder());
    statsLine.textContent = '';
  });
  input.addEventListener('keydown', e => {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit();
  });

  const el = h('div.play',
    h('div', transcript, h('div', { style: { marginTop: '10px' } }, input),
      h('div.row', { style: { marginTop: '8px' } }, send, stop, clear), statsLine),
    h('div', field('System prompt', params.system),
      h('div.fields', { style: { gridTemplateColumns: 'repeat(2, minmax(0, 1fr))' } },
        field('Temperature', params.temperature), field('Max tokens', params.maxTokens),
        field('Top p', params.topP), field('Seed', params.seed)),
      h('label.check', params.stream, 'stream the answer')));
  return { el, stop: () => controller?.abort() };
}

function embeddingsView(models, messages) {
  const input = h('textarea#embed-input', { rows: 4, placeholder: 'One text a line' });
  const run = h('button.primary#embed-run', 'Embed');
  const out = h('div#embed-result');
  const statsLine = h('div.stats-line#embed-stats');
  run.addEventListener('click', async () => {
    const texts = input.value.split('\n').map(s => s.trim()).filter(Boolean);
    if (!texts.length) return;
    run.disabled = true;
    banner(messages, null);
    const t0 = performance.now();
    try {
      const answer = await api('/v1/embeddings', { method: 'POST', body: { model: models.value, input: texts } });
      const total = performance.now() - t0;
      const vectors = answer.data.sort((a, b) => a.index - b.index).map(d => d.embedding);
      fill(out, h('div.table-wrap', h('table',
        h('thead', h('tr', h('th', 'Text'), h('th.num', 'Dimensions'), h('th', 'First values'),
          h('th.num', 'Similarity to the first'))),
        h('tbody', texts.map((t, i) => h('tr', h('td', t), h('td.num', String(vectors[i]?.length ?? 0)),
          h('td.mono.small', (vectors[i] || []).slice(0, 4).map(v => v.toFixed(4)).join(', ') + ' …'),
          h('td.num', cosine(vectors[0], vectors[i]).toFixed(3))))))));
      statsLine.textContent = stats([answer.usage ? `${number(answer.usage.prompt_tokens)} tokens` : null, `${ms(total)}`]);
    } catch (e) {
      banner(messages, 'error', e.message);
    } finally {
      run.disabled = false;
    }
  });
  return { el: h('div', field('Texts', input), h('div.row', run), statsLine, out) };
}

function cosine(a, b) {
  if (!a || !b) return 0;
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    dot += a[i] * b[i];
    na += a[i] * a[i];
    nb += b[i] * b[i];
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

function rerankView(models, messages) {
  const query = h('input#rerank-query', { placeholder: 'What is a GPU?' });
  const documents = h('textarea#rerank-documents', { rows: 5, placeholder: 'One document a line' });
  const run = h('button.primary#rerank-run', 'Rerank');
  const out = h('div#rerank-result');
  const statsLine = h('div.stats-line#rerank-stats');
  run.addEventListener('click', async () => {
    const docs = documents.value.split('\n').map(s => s.trim()).filter(Boolean);
    if (!query.value.trim() || !docs.length) return;
    run.disabled = true;
    banner(messages, null);
    const t0 = performance.now();
    try {
      const answer = await api('/v1/rerank', { method: 'POST', body: { model: models.value, query: query.value.trim(), documents: docs } });
      const total = performance.now() - t0;
      fill(out, hbars(answer.results.map(r => ({ label: docs[r.index], value: Math.max(0, r.relevance_score),
        text: r.relevance_score.toFixed(3) }))));
      statsLine.textContent = stats([answer.usage ? `${number(answer.usage.total_tokens ?? answer.usage.prompt_tokens)} tokens` : null,
        `${ms(total)}`]);
    } catch (e) {
      banner(messages, 'error', e.message);
    } finally {
      run.disabled = false;
    }
  });
  return { el: h('div', field('Query', query), field('Documents', documents), h('div.row', run), statsLine, out) };
}
