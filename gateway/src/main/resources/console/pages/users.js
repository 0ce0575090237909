// Users: create (admin or not), disable and enable (their keys stop and work again), delete (with their keys).
import { h, fill, table, badge, date, field, act } from '../dom.js';
import { api, listAll } from '../api.js';

export function mount(el, ctx) {
  const list = h('div#user-list');
  const messages = h('div', { class: 'hidden' });
  const name = h('input#user-name', { placeholder: 'e.g. alice', maxlength: 100 });
  const admin = h('input#user-admin', { type: 'checkbox' });
  const submit = h('button.primary#user-create', { type: 'submit' }, 'Create user');
  const form = h('form', {
    onsubmit: e => {
      e.preventDefault();
      act(submit, messages, async () => {
        const user = await api('/api/v1/users', { method: 'POST', body: { name: name.value.trim(), admin: admin.checked } });
        ctx.ok(`User ${user.name} created. Give them a key: API keys, "For user" ${user.name}.`);
        name.value = '';
        admin.checked = false;
        await refresh();
      });
    },
  }, h('h2', 'Create a user'), messages,
  h('div.row', { style: { alignItems: 'flex-end' } }, h('div', { style: { flex: '1 1 200px' } }, field('Name', name)),
    h('div.field', h('label.check', admin, 'admin')), h('div.field', submit)));
  fill(el, h('h1', 'Users'), h('section.panel', form), h('section.panel', list));

  const action = (user, verb, question) => h('button.small', {
    class: verb === 'delete' ? 'small danger' : 'small',
    'data-action': verb,
    onclick: e => {
      if (question && !confirm(question)) return;
      act(e.target, ctx.messages, async () => {
        if (verb === 'delete') await api('/api/v1/users/' + user.id, { method: 'DELETE' });
        else await api(`/api/v1/users/${user.id}/${verb}`, { method: 'POST' });
        await refresh();
      });
    },
  }, verb[0].toUpperCase() + verb.slice(1));

  async function refresh() {
    const users = await listAll('/api/v1/users');
    fill(list, table([
      { title: 'Name', value: u => h('strong', { 'data-user': u.name }, u.name) },
      { title: 'Role', value: u => u.admin ? badge('admin', 'info') : 'user' },
      { title: 'State', value: u => badge(u.disabled ? 'disabled' : 'enabled') },
      { title: 'Created', className: 'hide-narrow', value: u => date(u.created_at) },
      { title: '', value: u => u.id === ctx.me.user_id ? h('span.muted.small', 'you') : h('div.row', { style: { gap: '6px' } },
        u.disabled ? action(u, 'enable') : action(u, 'disable', `Disable ${u.name}? Their keys stop working.`),
        action(u, 'delete', `Delete ${u.name} and all their keys?`)) },
    ], users));
  }

  return { refresh };
}
