import { parentPort, workerData } from 'node:worker_threads';
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { API_HEADERS_TIMEOUT_MS, DEVICE_SEEN_EVERY_MS } from '../core/constants.js';
import type { Logger } from '../core/log.js';
import { Store } from '../store/store.js';
import { sessionDevice } from '../node/devices.js';
import { loadPreferences } from '../node/preferences.js';
import { Reading, type Reader } from '../node/reading.js';
import { AuthFailure, requireDevice, type AuthVariables } from './owner-auth.js';
import { Views } from './owner-views.js';
import { HostAllowlist } from './host-allowlist.js';
import { errorBody, refusal } from './http-status.js';
import { apiHeaders, hostGuard, webFiles } from './web-guards.js';
import { addReadingRoutes, isReadingRoute } from './reading-routes.js';
import { loadWebApp } from './web-static.js';
import { FrontRelay } from './front-relay.js';
import type { FrontMessage, FrontOptions } from './front-messages.js';

/**
 * The API's front: a worker thread that listens on the API's port. It
 * answers the web app's files and the reading routes itself, over a
 * read-only connection to the node's database, and relays everything else
 * to the owner API on the main thread. The main thread carries the network
 * (handshakes, encryption, sync): under load its event loop takes turns of a
 * tenth of a second and more, and a timeline read here does not wait for
 * them.
 */

const port = parentPort;
if (port === null) throw new Error('api-front.js runs as a worker thread of the node (see api-server.ts)');
const opts = workerData as FrontOptions;
const say = (m: FrontMessage) => port.postMessage(m);
const log: Logger = {
  debug: (line) => say({ type: 'log', level: 'debug', line }),
  info: (line) => say({ type: 'log', level: 'info', line }),
  warn: (line) => say({ type: 'log', level: 'warn', line }),
  error: (line) => say({ type: 'log', level: 'error', line }),
};

const store = Store.openReader(opts.database);
const owner: Reader = { did: opts.did, store };
const web = loadWebApp();
const hosts = new HostAllowlist(opts.apiHost, () => loadPreferences(store.settings).apiHosts);
const relay = new FrontRelay(opts.relayPort, opts.secret, log);

// The main thread writes when a device was last seen; the front only tells it, once a minute a device.
const told = new Map<string, number>();
const sessions = {
  authenticate: (token: string) => {
    const now = Date.now();
    const device = sessionDevice(store.devices, token, now);
    if (now - (told.get(device.id) ?? 0) >= DEVICE_SEEN_EVERY_MS) {
      told.set(device.id, now);
      say({ type: 'seen', device: device.id });
    }
    return device;
  },
};

const app = new Hono<{ Variables: AuthVariables }>();
app.onError((err, c) => {
  if (err instanceof AuthFailure) return c.json(errorBody(err.code, err.message), 401);
  const { status, body } = refusal(err, log);
  return c.json(body, status as ContentfulStatusCode);
});
app.use('*', hostGuard(hosts));
app.get('*', webFiles(web));
app.use('/api/*', apiHeaders);
app.use('/api/*', requireDevice(sessions));
addReadingRoutes(app, new Reading(owner), () => new Views(owner));
const answer = getRequestListener(app.fetch);

const server = createServer((req, res) => {
  const path = (req.url ?? '/').split('?')[0]!;
  const mine = isReadingRoute(req.method ?? '', path) || (req.method === 'GET' && web.files.has(path));
  if (mine) void answer(req, res);
  else relay.relay(req, res);
});
server.headersTimeout = API_HEADERS_TIMEOUT_MS;
server.requestTimeout = 0; // event streams stay open; uploads are bounded by size instead
server.once('error', (e: NodeJS.ErrnoException) => say({ type: 'failed', code: e.code, message: e.message }));
server.listen(opts.port, opts.host, () => {
  const address = server.address();
  say({ type: 'listening', port: typeof address === 'object' && address !== null ? address.port : opts.port });
});

port.on('message', (m: unknown) => {
  if (m !== 'close') return;
  relay.close();
  server.close();
  server.closeAllConnections();
  store.close();
  port.close();
});
