import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { randomBytes } from 'node:crypto';
import { KithError } from '../core/errors.js';
import { API_HEADERS_TIMEOUT_MS } from '../core/constants.js';
import type { Network } from '../node/network.js';
import type { KithService } from '../node/service.js';
import { createOwnerApi, type OwnerApi } from './owner-api.js';
import { loadWebApp } from './web-static.js';
import { FrontThread } from './front-thread.js';

/** The owner API and web app on HTTP: loopback unless the owner opens it to the local network. */

export interface ApiServer {
  /** Where this machine reaches it. */
  readonly url: string;
  /** Where the owner's other devices reach it: a local network address when it listens on one. */
  readonly publicUrl: string;
  readonly port: number;
  readonly api: OwnerApi;
  attach(network: Network): void;
  close(): Promise<void>;
}

const isWildcard = (host: string): boolean => host === '0.0.0.0' || host === '::';
const urlHost = (host: string): string => (host.includes(':') ? `[${host}]` : host);

/** The first local network address of this machine, for links other devices can open. */
export function lanAddress(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** Listens on host:port; refuses with a reason a person can act on. */
function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new KithError('io', `cannot listen on ${host}:${port}: ${e.message}`)));
    server.listen(port, host, () => resolve((server.address() as AddressInfo).port));
  });
}

/**
 * The owner API runs on the main thread, beside the network, and listens on
 * loopback only, for its front: a worker thread that holds the API's port,
 * answers reads itself and relays the rest (see ./api-front.ts).
 */
export async function startApiServer(service: KithService, opts: { port: number; host: string }): Promise<ApiServer> {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new KithError('malformed', `API port must be 0 to 65535, got ${opts.port}`);
  const secret = randomBytes(24).toString('base64url');
  const api = createOwnerApi({ service, web: loadWebApp(), apiHost: opts.host, frontSecret: secret });
  const inner = createAdaptorServer({ fetch: api.app.fetch }) as Server;
  inner.headersTimeout = API_HEADERS_TIMEOUT_MS;
  inner.requestTimeout = 0; // event streams stay open; uploads are bounded by size instead
  const stopInner = () =>
    new Promise<void>((resolve) => {
      inner.close(() => resolve());
      inner.closeAllConnections();
    });
  let front: FrontThread;
  let port: number;
  try {
    const relayPort = await listen(inner, 0, '127.0.0.1');
    ({ front, port } = await FrontThread.start(service, {
      database: service.node.home.database,
      did: service.node.did,
      host: opts.host,
      port: opts.port,
      apiHost: opts.host,
      relayPort,
      secret,
    }));
  } catch (e) {
    api.close();
    await stopInner();
    throw e;
  }
  const local = isWildcard(opts.host) ? '127.0.0.1' : opts.host;
  const url = `http://${urlHost(local)}:${port}`;
  const reachable = isWildcard(opts.host) ? (lanAddress() ?? local) : opts.host;
  const publicUrl = `http://${urlHost(reachable)}:${port}`;
  return {
    url,
    publicUrl,
    port,
    api,
    attach: (network) => api.attach(network),
    close: async () => {
      await front.close();
      api.close();
      await stopInner();
    },
  };
}
