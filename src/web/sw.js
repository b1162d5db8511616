// Kith service worker: keeps the app shell (the page, /app/*, /vendor/*) so
// the app starts offline. Never caches /api/ — those answers are private and live.
// Bump VERSION when the shell's file list changes.

const VERSION = 'kith-shell-v1';

const SHELL = [
  '/',
  '/manifest.webmanifest',
  '/icon.svg',
  '/icon-maskable.svg',
  '/vendor/preact.mjs',
  '/vendor/preact-hooks.mjs',
  '/vendor/htm.mjs',
  '/vendor/htm-preact.mjs',
  '/app/app.css',
  '/app/api.js',
  '/app/components/alert.js',
  '/app/components/avatar.js',
  '/app/components/composer.js',
  '/app/components/follow-form.js',
  '/app/components/icons.js',
  '/app/components/live-region.js',
  '/app/components/more.js',
  '/app/components/nav.js',
  '/app/components/post-list.js',
  '/app/components/post.js',
  '/app/components/profile-form.js',
  '/app/components/rich-text.js',
  '/app/components/sync-status.js',
  '/app/components/time.js',
  '/app/device-key.js',
  '/app/events.js',
  '/app/format.js',
  '/app/hooks.js',
  '/app/main.js',
  '/app/paged.js',
  '/app/router.js',
  '/app/screens.js',
  '/app/session.js',
  '/app/state.js',
  '/app/views/gate.js',
  '/app/views/home.js',
  '/app/views/notifications.js',
  '/app/views/pair.js',
  '/app/views/profile.js',
  '/app/views/settings.js',
  '/app/views/settings/blocks.js',
  '/app/views/settings/devices.js',
  '/app/views/settings/network.js',
  '/app/views/settings/preferences.js',
  '/app/views/settings/section.js',
  '/app/views/settings/storage.js',
  '/app/views/thread.js',
];

const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(VERSION);
    // One by one, so a single missing file does not stop the rest from being kept.
    await Promise.all(SHELL.map((url) => cache.add(new Request(url, { cache: 'reload' })).catch(() => {})));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) if (key !== VERSION) await caches.delete(key);
    await self.clients.claim();
  })());
});

function isShell(url) {
  return url.pathname === '/' || url.pathname === '/index.html' || url.pathname.startsWith('/app/')
    || url.pathname.startsWith('/vendor/') || SHELL.includes(url.pathname);
}

/** The network first (so updates arrive), the cache when the node can't be reached in time. */
async function networkFirst(request, cacheKey) {
  const cache = await caches.open(VERSION);
  try {
    const response = await Promise.race([
      fetch(request),
      new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), NETWORK_TIMEOUT_MS)),
    ]);
    if (response.ok && response.type === 'basic') await cache.put(cacheKey, response.clone());
    return response;
  } catch (e) {
    const cached = await cache.match(cacheKey);
    if (cached) return cached;
    throw e;
  }
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith('/api/') || url.pathname === '/api') return; // never cached, never touched
  if (request.mode === 'navigate') {
    event.respondWith(networkFirst(request, '/'));
    return;
  }
  if (isShell(url)) event.respondWith(networkFirst(request, url.pathname));
});
