import { createAdaptorServer } from '@hono/node-server';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { networkInterfaces } from 'node:os';
import { KithError } from '../core/errors.js';
import { API_HEADERS_TIMEOUT_MS } from '../core/constants.js';
import type { Network } from '../node/network.js';
import type { KithService } from '../node/service.js';
import { createOwnerApi, type OwnerApi } from './owner-api.js';
import { loadWebApp } from './web-static.js';

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

export async function startApiServer(service: KithService, opts: { port: number; host: string }): Promise<ApiServer> {
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) throw new KithError('malformed', `API port must be 0 to 65535, got ${opts.port}`);
  const api = createOwnerApi({ service, web: loadWebApp(), apiHost: opts.host });
  const server = createAdaptorServer({ fetch: api.app.fetch }) as Server;
  server.headersTimeout = API_HEADERS_TIMEOUT_MS;
  server.requestTimeout = 0; // event streams stay open; uploads are bounded by size instead
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new KithError(
          'io',
          e.code === 'EADDRINUSE'
            ? `port ${opts.port} on ${opts.host} is already in use; choose another with --api-port`
            : `cannot serve the web app on ${opts.host}:${opts.port}: ${e.message}`,
        ),
      ),
    );
    server.listen(opts.port, opts.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
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
    close: () =>
      new Promise<void>((resolve) => {
        api.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
