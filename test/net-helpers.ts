import { generateKeyPair } from '@libp2p/crypto/keys';
import { createHost, type HostOptions, type KithHost } from '../src/net/host.js';
import type { Logger } from '../src/core/log.js';

/** A real libp2p host with a fresh key on loopback only: no mDNS, no relay hunting. */
export async function loopbackHost(extra: Partial<HostOptions> = {}): Promise<KithHost> {
  return createHost({
    privateKey: await generateKeyPair('Ed25519'),
    listenHost: '127.0.0.1',
    tcpPort: 0,
    mdns: false,
    relayListen: false,
    ...extra,
  });
}

/** A Logger that keeps every line, whatever its level, for a test to look through. */
export function linesLogger(lines: string[]): Logger {
  const keep = (line: string): void => void lines.push(line);
  return { debug: keep, info: keep, warn: keep, error: keep };
}
