// Server-sent events from /api/events, reconnecting while the app is paired.

import { auth } from './state.js';
import { get } from './api.js';

const NAMES = ['post', 'post-changed', 'notification', 'sync', 'peers', 'forum', 'dm'];
const listeners = new Map();

let source = null;
let retryTimer = null;
let attempts = 0;
let hadError = false;
let lastCheck = 0;

/** Listen for event `name` (also 'connection' (boolean) and 'reconnect'); returns an unsubscribe function. */
export function on(name, fn) {
  if (!listeners.has(name)) listeners.set(name, new Set());
  listeners.get(name).add(fn);
  return () => listeners.get(name)?.delete(fn);
}

function emit(name, data) {
  for (const fn of [...(listeners.get(name) ?? [])]) {
    try {
      fn(data);
    } catch (e) {
      console.error(e);
    }
  }
}

function connect() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) return;
  const es = new EventSource('/api/events');
  source = es;
  es.addEventListener('open', () => {
    attempts = 0;
    emit('connection', true);
    if (hadError) emit('reconnect');
    hadError = false;
  });
  for (const name of NAMES) {
    es.addEventListener(name, (e) => {
      let data;
      try {
        data = JSON.parse(e.data);
      } catch {
        return;
      }
      emit(name, data);
    });
  }
  es.addEventListener('error', () => onError(es));
}

async function onError(es) {
  if (es !== source) return;
  hadError = true;
  emit('connection', false);
  const closed = es.readyState === EventSource.CLOSED;
  if (closed) {
    es.close();
    source = null;
  }
  // Find out whether the session lapsed (logs in again) or the device was removed.
  if (closed || Date.now() - lastCheck > 5000) {
    lastCheck = Date.now();
    try {
      await get('/api/me');
    } catch {
      /* api.js handles removal; otherwise retry later */
    }
  }
  if (closed && !source && auth.get().status === 'ready') {
    const delay = Math.min(30000, 1000 * 2 ** attempts++);
    clearTimeout(retryTimer);
    retryTimer = setTimeout(connect, delay);
  }
}

function stop() {
  clearTimeout(retryTimer);
  retryTimer = null;
  if (source) {
    source.close();
    source = null;
  }
  attempts = 0;
  hadError = false;
}

auth.subscribe((s) => {
  if (s.status === 'ready') connect();
  else stop();
});

function wake() {
  if (auth.get().status === 'ready' && !source) {
    attempts = 0;
    connect();
  }
}
addEventListener('online', wake);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') wake();
});
