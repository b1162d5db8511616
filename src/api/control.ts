import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { KithError, fail } from '../core/errors.js';
import { CONTROL_HEADERS_TIMEOUT_MS, CONTROL_REQUEST_TIMEOUT_MS, MAX_REQUEST_JSON_BYTES } from '../core/constants.js';
import { isoOf } from '../core/statement.js';
import { isJsonObject, type JsonObject } from '../core/types.js';
import type { KithService } from '../node/service.js';
import type { ControlBody, ControlResult, ControlRoute } from './control-routes.js';
import { errorBody, refusal } from './http-status.js';
import { postInput, profileInput, textField } from './request-fields.js';
import { deviceView } from './owner-views.js';
import { forumHandlers } from './forum-control.js';
import { dmHandlers } from './dm-control.js';

/**
 * The local control endpoint: HTTP on 127.0.0.1 only, for the `kith`
 * command to talk to a running node. A random token, written to a 0600 file
 * in the node's home, is required on every request, so other local users
 * (and web pages making requests to localhost) cannot drive the node.
 * Its routes are declared in ./control-routes.ts; each reads its body and
 * calls the application service.
 */

export interface ControlInfo {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
}

export interface ControlServer {
  readonly info: ControlInfo;
  close(): Promise<void>;
}

export interface ControlOptions {
  /** 0 for any free port. */
  readonly port?: number;
  /** Where the owner's devices reach the web app, for pairing links; absent when it does not run. */
  readonly webUrl?: string | undefined;
}

interface Route<K extends ControlRoute> {
  /** The request body as the route's typed input (its fields' types only; the service checks their values). */
  read(body: JsonObject): ControlBody<K>;
  run(body: ControlBody<K>): ControlResult<K> | Promise<ControlResult<K>>;
}

type RouteTable = { [K in ControlRoute]: Route<K> };

const noBody = (): undefined => undefined;

function routes(service: KithService, webUrl: string | undefined): RouteTable {
  return {
    'GET /status': { read: noBody, run: () => service.status() },
    'GET /actor': { read: noBody, run: () => service.publishing.profile() },
    'GET /peers': { read: noBody, run: () => ({ peers: service.peers() }) },
    'POST /post': { read: postInput, run: (input) => service.publishing.post(input) },
    'POST /profile': { read: profileInput, run: (input) => service.publishing.updateProfile(input) },
    'POST /like': { read: (b) => ({ id: textField(b, 'id') }), run: (b) => service.interactions.like(b.id) },
    'POST /unlike': { read: (b) => ({ id: textField(b, 'id') }), run: (b) => service.interactions.unlike(b.id) },
    'POST /boost': { read: (b) => ({ id: textField(b, 'id') }), run: (b) => service.interactions.boost(b.id) },
    'POST /unboost': { read: (b) => ({ id: textField(b, 'id') }), run: (b) => service.interactions.unboost(b.id) },
    'POST /edit': { read: (b) => ({ id: textField(b, 'id'), text: textField(b, 'text') }), run: (b) => service.interactions.edit(b.id, b.text) },
    'POST /delete': { read: (b) => ({ id: textField(b, 'id') }), run: (b) => service.interactions.delete(b.id) },
    'POST /follow': { read: (b) => ({ target: textField(b, 'target') }), run: (b) => service.people.follow(b.target) },
    'POST /unfollow': { read: (b) => ({ did: textField(b, 'did') }), run: (b) => service.people.unfollow(b.did) },
    'POST /approve': { read: (b) => ({ did: textField(b, 'did') }), run: (b) => service.follows.approve(b.did) },
    'POST /reject': { read: (b) => ({ did: textField(b, 'did') }), run: (b) => service.follows.reject(b.did) },
    'POST /remove-follower': { read: (b) => ({ did: textField(b, 'did') }), run: (b) => service.follows.remove(b.did) },
    'POST /fetch': { read: (b) => ({ urn: textField(b, 'urn') }), run: (b) => service.media.fetch(b.urn) },
    'POST /pair': {
      read: noBody,
      run: () => {
        if (webUrl === undefined) fail('conflict', 'this node runs without its web app, which new devices pair through');
        const offer = service.devices.offer(webUrl);
        return { code: offer.code, url: offer.url, expires: isoOf(offer.expires) };
      },
    },
    'GET /devices': { read: noBody, run: () => ({ devices: service.devices.list().map((d) => deviceView(d, undefined)) }) },
    'POST /devices/revoke': {
      read: (b) => ({ id: textField(b, 'id'), ...(b.cutOff === undefined ? {} : { cutOff: textField(b, 'cutOff') }) }),
      run: async (b) => ({ device: deviceView(await service.devices.revoke(b.id, b.cutOff), undefined) }),
    },
    'POST /accounts/add': {
      read: (b) => ({ name: textField(b, 'name') }),
      run: (b) => {
        if (webUrl === undefined) fail('conflict', 'this node runs without its web app, which hosted accounts pair through');
        const offer = service.accounts.offer(b.name, webUrl);
        return { code: offer.code, url: offer.url, expires: isoOf(offer.expires) };
      },
    },
    'GET /accounts': { read: noBody, run: () => ({ accounts: service.accounts.list() }) },
    'POST /accounts/remove': { read: (b) => ({ did: textField(b, 'did') }), run: async (b) => ({ account: await service.accounts.remove(b.did) }) },
    'POST /block-root': { read: (b) => ({ did: textField(b, 'did') }), run: (b) => service.rootBlocks.block(b.did) },
    'POST /unblock-root': { read: (b) => ({ did: textField(b, 'did') }), run: (b) => service.rootBlocks.unblock(b.did) },
    'GET /blocked-roots': { read: noBody, run: () => ({ roots: service.rootBlocks.list().map((r) => ({ ...r, since: isoOf(r.since) })) }) },
    'GET /settings': { read: noBody, run: () => service.settings() },
    'POST /settings': { read: (b) => b, run: (b) => service.updateSettings(b) },
    ...forumHandlers(service),
    ...dmHandlers(service),
  };
}

function isRoute(table: RouteTable, key: string): key is ControlRoute {
  return Object.hasOwn(table, key);
}

async function answer<K extends ControlRoute>(route: Route<K>, body: JsonObject): Promise<ControlResult<K>> {
  return route.run(route.read(body));
}

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function authorized(req: IncomingMessage, token: Buffer): boolean {
  const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!given) return false;
  const b = Buffer.from(given);
  return b.length === token.length && timingSafeEqual(b, token);
}

async function readBody(req: IncomingMessage): Promise<JsonObject> {
  if (req.method !== 'POST') return {};
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_REQUEST_JSON_BYTES) fail('too-large', `request body over ${MAX_REQUEST_JSON_BYTES} bytes`);
    chunks.push(chunk);
  }
  let v: unknown;
  try {
    v = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    return fail('malformed', 'request body is not JSON');
  }
  if (!isJsonObject(v)) fail('malformed', 'request body must be a JSON object');
  return v;
}

export async function startControl(service: KithService, opts: ControlOptions = {}): Promise<ControlServer> {
  const port = opts.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new KithError('malformed', `control port must be 0 to 65535, got ${port}`);
  const token = randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const table = routes(service, opts.webUrl);
  const server: Server = createServer((req, res) => {
    if (!authorized(req, tokenBuf)) return send(res, 401, errorBody('unauthenticated', 'a control token is required (see control.json in the node home)'));
    const key = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    if (!isRoute(table, key)) return send(res, 404, errorBody('not-found', 'no such control endpoint'));
    readBody(req)
      .then((body) => answer(table[key], body))
      .then((out) => send(res, 200, out))
      .catch((e: unknown) => {
        const { status, body } = refusal(e, service.log);
        send(res, status, body);
      });
  });
  server.headersTimeout = CONTROL_HEADERS_TIMEOUT_MS;
  server.requestTimeout = CONTROL_REQUEST_TIMEOUT_MS;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new KithError(
          'io',
          e.code === 'EADDRINUSE'
            ? `port ${port} on 127.0.0.1 is already in use; choose another with --control-port`
            : `cannot listen on 127.0.0.1:${port}: ${e.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const info: ControlInfo = { url: `http://127.0.0.1:${bound}`, token, pid: process.pid };
  writeFileSync(service.node.home.controlFile, JSON.stringify(info), { mode: 0o600 });
  return {
    info,
    close: () =>
      new Promise<void>((resolve) => {
        rmSync(service.node.home.controlFile, { force: true });
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
