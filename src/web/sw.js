// Kith service worker: keeps the app shell (the page, /app/*, /vendor/*) so
// the app starts offline. Never caches /api/ — those answers are private and live.

// The node fills these in when it serves this file: every file of the shell, and a version
// that changes whenever any of them does (so the browser installs the new shell).
const VERSION = 'kith-shell-dev';
const SHELL = ['/'];

const NETWORK_TIMEOUT_MS = 4000;

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(VERSION);
      // One by one, so a single missing file does not stop the rest from being kept.
      await Promise.all(
        SHELL.map((url) =>
          cache.add(new Request(url, { cache: 'reload' })).catch((e) => console.warn(`kith: could not keep ${url} for offline use: ${e.message}`)),
        ),
      );
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== VERSION) await caches.delete(key);
      await self.clients.claim();
    })(),
  );
});

function isShell(url) {
  return (
    url.pathname === '/' ||
    url.pathname === '/index.html' ||
    url.pathname.startsWith('/app/') ||
    url.pathname.startsWith('/vendor/') ||
    SHELL.includes(url.pathname)
  );
}

/** The network first (so updates arrive), the cache when the node can't be reached in time. */
async function networkFirst(request, cacheKey) {
  const cache = await caches.open(VERSION);
  try {
    const response = await Promise.race([fetch(request), new Promise((_, reject) => setTimeout(() => reject(new Error('timeout')), NETWORK_TIMEOUT_MS))]);
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
