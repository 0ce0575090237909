// The public API, called with the signed-in user's key. The key lives in sessionStorage only: it is gone when the
// browser tab closes, and nothing else of it is kept.

const KEY = 'gpufleet.key';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  key: () => sessionStorage.getItem(KEY),
  signIn(key) { sessionStorage.setItem(KEY, key); },
  signOut() { sessionStorage.removeItem(KEY); },
};

function headers(extra = {}, key = session.key()) {
  return { Authorization: 'Bearer ' + key, ...extra };
}

/** The server's own message: the admin API's {message} or OpenAI's {error: {message}}. */
async function errorOf(response) {
  let message = response.status + ' ' + response.statusText;
  try {
    const body = await response.json();
    message = body?.error?.message || body?.message || message;
  } catch (ignored) {
    // not JSON: keep the status line
  }
  if (response.status === 401) {
    window.dispatchEvent(new CustomEvent('gpufleet:refused', { detail: message }));
  }
  return new ApiError(response.status, message);
}

/** JSON in, JSON out; null for 204. Throws ApiError with the server's message. */
export async function api(path, { method = 'GET', body, signal, key } = {}) {
  const init = { method, signal, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }, key) };
  if (body !== undefined) init.body = JSON.stringify(body);
  let response;
  try {
    response = await fetch(path, init);
  } catch (e) {
    if (e.name === 'AbortError') throw e;
    throw new ApiError(0, 'The gateway did not answer (' + e.message + ').');
  }
  if (!response.ok) throw await errorOf(response);
  return response.status === 204 ? null : response.json();
}

/** Every item of a paged list (500 a page). */
export async function listAll(path, { signal } = {}) {
  const items = [];
  const separator = path.includes('?') ? '&' : '?';
  for (let page = 1; ; page++) {
    const body = await api(`${path}${separator}per_page=500&page=${page}`, { signal });
    items.push(...body.items);
    if (page >= (body.pagination?.total_pages || 1)) return items;
  }
}

/**
 * POSTs and reads a server-sent event stream: onEvent(parsedJson) for each data line but [DONE]. Resolves when the
 * stream ends.
 */
export async function streamEvents(path, body, onEvent, { signal } = {}) {
  const response = await fetch(path, {
    method: 'POST', signal, body: JSON.stringify(body),
    headers: headers({ 'Content-Type': 'application/json', Accept: 'text/event-stream' }),
  });
  if (!response.ok) throw await errorOf(response);
  let pending = '';
  await readText(response, chunk => {
    pending += chunk;
    let end;
    while ((end = pending.indexOf('\n')) >= 0) {
      const line = pending.slice(0, end).replace(/\r$/, '');
      pending = pending.slice(end + 1);
      if (!line.startsWith('data:')) continue;
      const data = line.slice(5).trim();
      if (data && data !== '[DONE]') onEvent(JSON.parse(data));
    }
  });
}

/** GETs a text body as it arrives (a followed log): onText(chunk). Resolves when the server ends it. */
export async function followText(path, onText, { signal } = {}) {
  const response = await fetch(path, { signal, headers: headers() });
  if (!response.ok) throw await errorOf(response);
  await readText(response, onText);
}

async function readText(response, onText) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onText(decoder.decode(value, { stream: true }));
  }
  const rest = decoder.decode();
  if (rest) onText(rest);
}
