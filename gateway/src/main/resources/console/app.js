// The console's shell: sign-in, navigation, and the life of the page shown (mounted, refreshed while open, stopped).
import { h, fill, banner } from './dom.js';
import { api, session } from './api.js';

const VERSION_BASE = new URL('.', import.meta.url).pathname;
const REFRESH_MS = 3000;

/** admin: only for an admin's key (a non-admin sees the playground, its own keys and its own usage). */
const PAGES = [
  { path: 'dashboard', title: 'Dashboard', admin: true, module: 'pages/dashboard.js' },
  { path: 'models', title: 'Models', admin: true, module: 'pages/models.js', detail: 'pages/model.js' },
  { path: 'workers', title: 'Workers', admin: true, module: 'pages/workers.js' },
  { path: 'playground', title: 'Playground', admin: false, module: 'pages/playground.js' },
  { path: 'keys', title: 'API keys', admin: false, module: 'pages/keys.js' },
  { path: 'users', title: 'Users', admin: true, module: 'pages/users.js' },
  { path: 'usage', title: 'Usage', admin: false, module: 'pages/usage.js' },
];

const root = document.getElementById('app');
let me = null;
let current = null;

function visiblePages() {
  return PAGES.filter(p => me.admin || !p.admin);
}

function signInView(message) {
  const key = h('input#signin-key', { type: 'password', autocomplete: 'off', placeholder: 'gpf_… or the cluster token' });
  const error = h('div', { class: 'hidden' });
  const button = h('button.primary#signin-button', { type: 'submit' }, 'Sign in');
  const form = h('form.panel', {
    onsubmit: async e => {
      e.preventDefault();
      button.disabled = true;
      try {
        const found = await api('/api/v1/me', { key: key.value.trim() });
        session.signIn(key.value.trim());
        me = found;
        start();
      } catch (err) {
        banner(error, 'error', err.status === 401 ? 'That key was refused: ' + err.message : err.message);
      } finally {
        button.disabled = false;
      }
    },
  },
  h('h2', 'Sign in with an API key'),
  error,
  h('div.field', h('label', { for: 'signin-key' }, 'API key'), key),
  h('div.row', button),
  h('p.muted.small', 'The key stays in this browser tab only (session storage) and is sent to this gateway with each ',
    'request. The embedded default writes the admin user\'s key to ', h('code', '.gpufleet/gateway/admin-api-key'), '.'));
  if (message) banner(error, 'error', message);
  fill(root, h('div.signin', h('div.brand', h('img', { src: VERSION_BASE + 'icon.svg', alt: '' }), 'gpufleet'), form));
  key.focus();
}

function shell() {
  const nav = h('nav.nav#nav', visiblePages().map(p => h('a', { href: '#/' + p.path, 'data-page': p.path }, p.title)));
  const signOut = h('button.small#signout', {
    onclick: () => {
      session.signOut();
      me = null;
      stopCurrent();
      // the next user starts on its own first page
      history.replaceState(null, '', location.pathname);
      signInView();
    },
  }, 'Sign out');
  const header = h('header.top',
    h('div.brand', h('img', { src: VERSION_BASE + 'icon.svg', alt: '' }), 'gpufleet'),
    nav,
    h('div.who', h('span.name#who-name', me.user_name), h('span.role', me.admin ? 'admin' : 'user'), signOut));
  const main = h('main#main');
  fill(root, header, main);
  return main;
}

function stopCurrent() {
  if (current) {
    clearInterval(current.timer);
    current.page?.stop?.();
    current = null;
  }
}

async function route() {
  if (!me) return;
  const [path = '', ...params] = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
  const pages = visiblePages();
  const page = pages.find(p => p.path === path);
  if (!page) {
    if (PAGES.some(p => p.path === path)) {
      stopCurrent();
      showForbidden();
    } else {
      location.replace('#/' + pages[0].path);
    }
    return;
  }
  stopCurrent();
  for (const a of document.querySelectorAll('#nav a')) a.classList.toggle('active', a.dataset.page === page.path);
  const main = document.getElementById('main');
  const messages = h('div', { class: 'hidden', id: 'page-banner' });
  const content = h('div#page', { 'data-page': page.path });
  fill(main, messages, content);
  const mine = current = { timer: null, page: null };
  const module = await import(VERSION_BASE + (params.length && page.detail ? page.detail : page.module));
  if (current !== mine) return;
  const ctx = {
    me, params, messages,
    fail: e => banner(messages, 'error', e.message),
    ok: text => banner(messages, 'ok', text),
  };
  mine.page = module.mount(content, ctx);
  document.title = (mine.page.title || page.title) + ' · gpufleet';
  const refresh = async () => {
    if (mine.busy || document.hidden || !mine.page.refresh) return;
    mine.busy = true;
    try {
      await mine.page.refresh();
      if (messages.classList.contains('error') && mine.failed) banner(messages, null);
      mine.failed = false;
    } catch (e) {
      if (e.name !== 'AbortError') {
        mine.failed = true;
        banner(messages, 'error', e.message);
      }
    } finally {
      mine.busy = false;
    }
  };
  await refresh();
  if (current === mine) mine.timer = setInterval(refresh, REFRESH_MS);
}

function showForbidden() {
  const main = document.getElementById('main');
  for (const a of document.querySelectorAll('#nav a')) a.classList.remove('active');
  if (main) fill(main, h('div.panel#forbidden', h('h2', 'This page needs an admin\'s key'),
    h('p.muted', 'Your key belongs to ' + me.user_name + ', who is not an admin: the playground, your keys and your usage are yours.')));
}

function start() {
  shell();
  window.onhashchange = route;
  if (!location.hash || location.hash === '#/' || location.hash === '#') location.replace('#/' + visiblePages()[0].path);
  else route();
}

window.addEventListener('gpufleet:refused', e => {
  if (!me) return;
  session.signOut();
  me = null;
  stopCurrent();
  signInView('Your key was refused (' + e.detail + '). Sign in again.');
});

async function boot() {
  if (!session.key()) {
    signInView();
    return;
  }
  try {
    me = await api('/api/v1/me');
    start();
  } catch (e) {
    if (e.status !== 401) signInView(e.message);
  }
}

boot();
