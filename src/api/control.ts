import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { KithError, fail, type ErrorCode } from '../core/errors.js';
import { parseDid } from '../core/didkey.js';
import { isApId } from '../core/apid.js';
import { isJsonObject, type JsonObject } from '../core/types.js';
import type { KithNode } from '../node/kith-node.js';
import type { Network } from '../node/network.js';
import { checkAttachments } from '../node/media.js';
import { applyProfileChange, checkProfileChange, profileView } from '../node/profile.js';
import { parseErisUrn } from '../core/eris.js';
import type { ApiServer } from './api-server.js';
import { deviceView } from './owner-views.js';

/**
 * The local control endpoint: HTTP on 127.0.0.1 only, for the `kith`
 * command to talk to a running node. A random token, written to a 0600 file
 * in the node's home, is required on every request, so other local users
 * (and web pages making requests to localhost) cannot drive the node.
 */

export interface ControlInfo {
  readonly url: string;
  readonly token: string;
  readonly pid: number;
}

export interface ControlServer {
  readonly info: ControlInfo;
  /** Hands the running network to the endpoints once it is up (the endpoint starts first, so a busy port fails fast). */
  attach(network: Network): void;
  close(): Promise<void>;
}

interface Context {
  readonly node: KithNode;
  network: Network | undefined;
  readonly api: ApiServer | undefined;
}

function needApi(ctx: Context): ApiServer {
  if (!ctx.api) fail('conflict', 'this node runs without its web app and owner API');
  return ctx.api;
}

type Handler = (ctx: Context, body: JsonObject) => unknown;

const MAX_BODY_BYTES = 64 * 1024;

function needNetwork(ctx: Context): Network {
  if (!ctx.network) fail('conflict', 'this node runs without its network');
  return ctx.network;
}

function text(body: JsonObject, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v.length === 0) fail('malformed', `${field} must be a non-empty string`);
  return v;
}

const routes: Record<string, Handler> = {
  'GET /status': (ctx) =>
    ctx.network?.status() ?? { did: ctx.node.did, actor: ctx.node.actorId, objects: ctx.node.store.objects.count(), pid: process.pid },
  'GET /actor': (ctx) => ctx.node.actor(),
  'GET /peers': (ctx) => ({ peers: needNetwork(ctx).peers() }),
  'POST /post': async (ctx, body) => {
    const inReplyTo = body.inReplyTo;
    if (inReplyTo !== undefined && !isApId(inReplyTo)) fail('malformed', 'inReplyTo must be an ap:// id');
    const attachment = body.attachment === undefined ? undefined : checkAttachments(body.attachment);
    const r = ctx.node.post({ text: text(body, 'text'), ...(typeof inReplyTo === 'string' ? { inReplyTo } : {}), ...(attachment ? { attachment } : {}) });
    return { ...r, pushedTo: ctx.network ? await ctx.network.push(r.digest) : 0 };
  },
  'POST /follow': async (ctx, body) => {
    const r = await needNetwork(ctx).follow(text(body, 'target'));
    return { did: r.did, added: r.added, synced: r.synced.map((s) => ({ peer: s.peer, ok: s.ok, error: s.error, received: s.result?.stored ?? 0 })) };
  },
  'POST /fetch': async (ctx, body) => {
    const urn = text(body, 'urn');
    await needNetwork(ctx).fetchContent(urn);
    return { urn, status: ctx.node.store.blocks.pinStatus(parseErisUrn(urn).rootReference) };
  },
  'POST /pair': (ctx) => needApi(ctx).api.pairingOffer(),
  'GET /devices': (ctx) => ({ devices: needApi(ctx).devices.list().map((d) => deviceView(d, undefined)) }),
  'POST /devices/revoke': async (ctx, body) => {
    const api = needApi(ctx);
    const { device, revocation } = api.devices.revoke(text(body, 'id'));
    await ctx.network?.push(revocation.digest);
    return { device: deviceView(device, undefined) };
  },
  'POST /profile': async (ctx, body) => {
    const r = applyProfileChange(ctx.node, checkProfileChange(body));
    await ctx.network?.push(r.digest);
    return profileView(ctx.node);
  },
  'POST /unfollow': (ctx, body) => {
    const did = parseDid(text(body, 'did'));
    return { did, removed: ctx.network ? ctx.network.unfollow(did) : ctx.node.unfollow(did) };
  },
};

const STATUS: Partial<Record<ErrorCode, number>> = { 'not-found': 404, conflict: 409, 'too-large': 413, io: 502 };

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function authorised(req: IncomingMessage, token: Buffer): boolean {
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
    if (size > MAX_BODY_BYTES) fail('too-large', `request body over ${MAX_BODY_BYTES} bytes`);
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

export async function startControl(node: KithNode, network: Network | undefined, port = 0, api?: ApiServer): Promise<ControlServer> {
  const token = randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const ctx: Context = { node, network, api };
  const server: Server = createServer((req, res) => {
    if (!authorised(req, tokenBuf)) return send(res, 401, { error: { code: 'unauthorized', message: 'a control token is required (see control.json in the node home)' } });
    const handler = routes[`${req.method} ${(req.url ?? '/').split('?')[0]}`];
    if (!handler) return send(res, 404, { error: { code: 'not-found', message: 'no such control endpoint' } });
    readBody(req)
      .then((body) => handler(ctx, body))
      .then((out) => send(res, 200, out))
      .catch((e: unknown) => {
        if (e instanceof KithError) send(res, STATUS[e.code] ?? 400, { error: { code: e.code, message: e.message } });
        else send(res, 500, { error: { code: 'internal', message: (e as Error).message } });
      });
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 300_000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new KithError('malformed', `control port must be 0 to 65535, got ${port}`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new KithError(
          'io',
          e.code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is already in use; choose another with --control-port` : `cannot listen on 127.0.0.1:${port}: ${e.message}`,
        ),
      ),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const info: ControlInfo = { url: `http://127.0.0.1:${bound}`, token, pid: process.pid };
  writeFileSync(node.home.controlFile, JSON.stringify(info), { mode: 0o600 });
  return {
    info,
    attach: (network) => {
      ctx.network = network;
    },
    close: () =>
      new Promise<void>((resolve) => {
        rmSync(node.home.controlFile, { force: true });
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
