import { html, render } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { get, query } from './api.js';
import { on } from './events.js';
import { useStore } from './hooks.js';
import { useRoute } from './router.js';
import { boot } from './session.js';
import { auth, dmUnread, unread } from './state.js';
import { LiveRegion } from './components/live-region.js';
import { Nav } from './components/nav.js';
import { SyncStatus, applySync, setSyncing } from './components/sync-status.js';
import { Screen } from './screens.js';
import { Pair } from './views/pair.js';
import { AccountClaim } from './views/account-claim.js';
import { AccountGone, AccountHome } from './views/account.js';
import { Insecure, Loading, LoggedOut, Offline, Unsupported } from './views/gate.js';

function loadCounts() {
  get(`/api/notifications${query({ limit: 1 })}`).then(
    (r) => unread.set({ count: r.unread ?? 0 }),
    () => {},
  );
  get('/api/dms').then(
    (r) => dmUnread.set({ count: r.unread ?? 0 }),
    () => {},
  );
  get('/api/status').then(
    (s) => setSyncing(s.syncing),
    () => {},
  );
}

function skipToContent(e) {
  e.preventDefault();
  const main = document.getElementById('main');
  main?.focus();
  main?.scrollIntoView();
}

function Shell({ route, me }) {
  const first = useRef(true);
  const key = JSON.stringify(route);

  useEffect(() => {
    loadCounts();
    const offs = [
      on('notification', () => {
        if (location.hash.replace(/^#\/?/, '') !== 'notifications') unread.set((u) => ({ count: u.count + 1 }));
      }),
      // A new message someone wrote: counted on the Messages badge unless its conversation is open.
      on('dm', (m) => {
        if (!location.hash.startsWith(`#/messages/${encodeURIComponent(m.conversation)}`)) dmUnread.set((u) => ({ count: u.count + 1 }));
      }),
      on('sync', applySync),
      on('reconnect', loadCounts),
    ];
    return () => offs.forEach((off) => off());
  }, []);

  useEffect(() => {
    if (route.name === 'pair') location.replace('#/');
  }, [route.name]);

  // On navigation: back to the top, and focus the new screen's heading.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    window.scrollTo(0, 0);
    requestAnimationFrame(() => document.querySelector('#main h1')?.focus({ preventScroll: true }));
  }, [key]);

  return html` <a class="skip-link" href="#main" onClick=${skipToContent}>Skip to content</a>
    <div class="layout">
      <header class="topbar">
        <a class="brand" href="#/"><img src="/icon.svg" alt="" width="28" height="28" /><span>Kith</span></a>
      </header>
      <${Nav} route=${route} me=${me?.did} />
      <main id="main" tabindex="-1">
        <${SyncStatus} />
        <${Screen} key=${key} route=${route} />
      </main>
    </div>`;
}

function App() {
  const a = useStore(auth);
  const route = useRoute();
  useEffect(() => {
    boot();
  }, []);

  let body;
  switch (a.status) {
    case 'ready':
      body = route.name === 'account' ? html`<${AccountClaim} owner=${true} />` : html`<${Shell} route=${route} me=${a.me} />`;
      break;
    case 'unpaired':
      body =
        route.name === 'account'
          ? html`<${AccountClaim} key=${route.code} code=${route.code} />`
          : html`<${Pair} key=${route.code} code=${route.name === 'pair' ? route.code : ''} />`;
      break;
    case 'account':
      body = html`<${AccountHome} />`;
      break;
    case 'account-gone':
      body = html`<${AccountGone} />`;
      break;
    case 'loggedout':
      body = html`<${LoggedOut} />`;
      break;
    case 'offline':
      body = html`<${Offline} />`;
      break;
    case 'insecure':
      body = html`<${Insecure} />`;
      break;
    case 'unsupported':
      body = html`<${Unsupported} />`;
      break;
    default:
      body = html`<${Loading} />`;
  }
  return html`${body}<${LiveRegion} />`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);

if ('serviceWorker' in navigator && window.isSecureContext) {
  addEventListener('load', () => {
    navigator.serviceWorker.register('/sw.js').catch((e) => console.warn('Service worker not registered:', e.message));
  });
}
