import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { KithNode } from '../node/kith-node.js';
import { KithError } from '../core/errors.js';

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
  close(): Promise<void>;
}

type Handler = (node: KithNode) => unknown;

const routes: Record<string, Handler> = {
  '/status': (node) => ({
    did: node.did,
    actor: node.actorId,
    fingerprint: node.fingerprint,
    objects: node.store.objects.count(),
    pid: process.pid,
  }),
  '/actor': (node) => node.actor(),
};

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
  res.end(text);
}

function authorised(req: IncomingMessage, token: Buffer): boolean {
  const given = /^Bearer (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
  if (!given) return false;
  const b = Buffer.from(given);
  return b.length === token.length && timingSafeEqual(b, token);
}

export async function startControl(node: KithNode, port = 0): Promise<ControlServer> {
  const token = randomBytes(24).toString('base64url');
  const tokenBuf = Buffer.from(token);
  const server: Server = createServer((req, res) => {
    if (!authorised(req, tokenBuf)) return send(res, 401, { error: 'a control token is required (see control.json in the node home)' });
    if (req.method !== 'GET') return send(res, 405, { error: 'only GET is served here' });
    const handler = routes[(req.url ?? '/').split('?')[0] ?? '/'];
    if (!handler) return send(res, 404, { error: 'no such control endpoint' });
    try {
      send(res, 200, handler(node));
    } catch (e) {
      send(res, 500, { error: (e as Error).message });
    }
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new KithError('malformed', `control port must be 0 to 65535, got ${port}`);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new KithError('io', e.code === 'EADDRINUSE' ? `port ${port} on 127.0.0.1 is already in use; choose another with --control-port` : `cannot listen on 127.0.0.1:${port}: ${e.message}`)),
    );
    server.listen(port, '127.0.0.1', () => resolve());
  });
  const { port: bound } = server.address() as AddressInfo;
  const info: ControlInfo = { url: `http://127.0.0.1:${bound}`, token, pid: process.pid };
  writeFileSync(node.home.controlFile, JSON.stringify(info), { mode: 0o600 });
  return {
    info,
    close: () =>
      new Promise<void>((resolve) => {
        rmSync(node.home.controlFile, { force: true });
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
