// API keys: create one (its secret is shown this once), see status, use and limits, revoke. A user sees its own;
// an admin everyone's and may make keys for any user.
import { h, fill, table, badge, ago, date, field, act, number } from '../dom.js';
import { api, listAll } from '../api.js';

export function mount(el, ctx) {
  const list = h('div#key-list');
  const created = h('div#key-created');
  const messages = h('div', { class: 'hidden' });
  const name = h('input#key-name', { placeholder: 'e.g. laptop', maxlength: 100 });
  const expires = h('input#key-expires', { type: 'date', min: new Date(Date.now() + 86400000).toISOString().slice(0, 10) });
  const rpm = h('input#key-rpm', { type: 'number', min: 0, placeholder: 'unlimited' });
  const tpm = h('input#key-tpm', { type: 'number', min: 0, placeholder: 'unlimited' });
  const owner = h('select#key-user');
  const submit = h('button.primary#key-create', { type: 'submit' }, 'Create key');
  const form = h('form', {
    onsubmit: e => {
      e.preventDefault();
      act(submit, messages, async () => {
        const body = {
          name: name.value.trim(),
          expires_at: expires.value ? new Date(expires.value + 'T00:00:00Z').toISOString() : undefined,
          requests_per_minute: rpm.value === '' ? undefined : Number(rpm.value),
          tokens_per_minute: tpm.value === '' ? undefined : Number(tpm.value),
          user_id: ctx.me.admin && owner.value ? owner.value : undefined,
        };
        const key = await api('/api/v1/api-keys', { method: 'POST', body });
        showCreated(key);
        name.value = '';
        await refresh();
      });
    },
  },
  h('h2', 'Create a key'), messages,
  h('div.fields',
    field('Name', name),
    ctx.me.admin ? field('For user', owner) : null,
    field('Expires', expires, 'empty: never'),
    field('Requests a minute', rpm),
    field('Tokens a minute', tpm)),
  h('div.row', submit));

  function showCreated(key) {
    const secret = h('div.secret#key-secret', key.key);
    const copy = h('button.small', {
      type: 'button',
      onclick: async () => {
        await navigator.clipboard?.writeText(key.key);
        copy.textContent = 'Copied';
      },
    }, 'Copy');
    fill(created, h('section.panel', h('h2', `Key “${key.name}” for ${key.user_name}`),
      h('p', 'Copy it now: it is shown this once, and gpufleet keeps only its hash.'), secret,
      h('div.row', { style: { marginTop: '8px' } }, copy,
        h('button.small', { type: 'button', onclick: () => fill(created) }, 'I have saved it'))));
  }

  fill(el, h('h1', 'API keys'), created, h('section.panel', form), h('section.panel', list));

  let usersLoaded = false;
  async function refresh() {
    if (ctx.me.admin && !usersLoaded) {
      const users = await listAll('/api/v1/users');
      fill(owner, h('option', { value: '' }, 'me (' + ctx.me.user_name + ')'),
        users.filter(u => u.id !== ctx.me.user_id && !u.disabled).map(u => h('option', { value: u.id }, u.name)));
      usersLoaded = true;
    }
    const keys = await listAll('/api/v1/api-keys');
    keys.sort((a, b) => (a.status === 'active' ? 0 : 1) - (b.status === 'active' ? 0 : 1)
      || Date.parse(b.created_at) - Date.parse(a.created_at));
    fill(list, table([
      { title: 'Name', value: k => h('span', { 'data-key': k.name }, h('strong', k.name), h('div.mono.small.muted', k.id)) },
      ctx.me.admin ? { title: 'User', value: k => k.user_name } : null,
      { title: 'Status', value: k => badge(k.status) },
      { title: 'Limits', className: 'hide-narrow', value: k => limits(k) },
      { title: 'Created', className: 'hide-narrow', value: k => date(k.created_at) },
      { title: 'Expires', className: 'hide-narrow', value: k => k.revoked_at ? 'revoked ' + ago(k.revoked_at) : date(k.expires_at) },
      { title: 'Last used', value: k => ago(k.last_used_at) },
      { title: '', value: k => k.status === 'active' ? h('button.small.danger', {
        'data-revoke': k.name,
        onclick: e => {
          if (!confirm(`Revoke key ${k.name}? It stops working at once.`)) return;
          act(e.target, ctx.messages, async () => {
            await api(`/api/v1/api-keys/${encodeURIComponent(k.id)}/revoke`, { method: 'POST' });
            await refresh();
          });
        },
      }, 'Revoke') : null },
    ].filter(Boolean), keys, { empty: 'No keys yet.' }));
  }

  return { refresh };
}

function limits(k) {
  const parts = [];
  if (k.requests_per_minute) parts.push(number(k.requests_per_minute) + ' req/min');
  if (k.tokens_per_minute) parts.push(number(k.tokens_per_minute) + ' tokens/min');
  return parts.length ? parts.join(', ') : h('span.muted', 'unlimited');
}
