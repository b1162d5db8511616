import type { PeerInfo } from '@libp2p/interface';
import { fail } from '../core/errors.js';
import { silentLogger, type Logger } from '../core/log.js';
import { toHex } from '../core/bytes.js';
import { DHT_FIND_MAX_PROVIDERS, TREE_FIND_TIMEOUT_MS, TREE_PROVIDE_TIMEOUT_MS } from '../core/constants.js';
import { ERIS_HASH_BYTES } from '../core/eris-crypto.js';
import { formatErisReference, type ErisReference } from '../core/eris.js';
import { dhtKey, type KithHost } from './host.js';

/**
 * Who holds an ERIS tree, in the DHT: holders announce its root reference, and
 * a fetcher looks them up before asking them for blocks (net/block-fetcher.ts).
 */

/** The DHT key under which the holders of an ERIS tree announce it: 'eris:' + the root reference in hex. */
export function rootDhtKey(rootRef: ErisReference): ReturnType<typeof dhtKey> {
  if (!(rootRef instanceof Uint8Array) || rootRef.length !== ERIS_HASH_BYTES) fail('malformed', `an ERIS root reference is ${ERIS_HASH_BYTES} bytes`);
  return dhtKey('eris:' + toHex(rootRef));
}

/**
 * Announces in the DHT that this node holds (and serves) the tree under a
 * root. The record says only that some ciphertext is here: the root reference
 * does not open anything without the capability's key.
 */
export async function provideRoot(host: KithHost, rootRef: ErisReference, options: { signal?: AbortSignal } = {}): Promise<void> {
  const key = await rootDhtKey(rootRef);
  try {
    await host.contentRouting.provide(key, { signal: options.signal ?? AbortSignal.timeout(TREE_PROVIDE_TIMEOUT_MS) });
  } catch (e) {
    const err = e as Error;
    if (err.name === 'AbortError' || err.name === 'TimeoutError') fail('timeout', `announcing ${formatErisReference(rootRef)} in the DHT timed out`);
    fail('io', `announcing ${formatErisReference(rootRef)} in the DHT failed: ${err.message}`);
  }
}

/**
 * Peers the DHT says hold the tree under a root (never this node), up to
 * `max`, stopping early at the deadline with whatever was found by then.
 */
export async function findRootProviders(
  host: KithHost,
  rootRef: ErisReference,
  options: { signal?: AbortSignal; max?: number; log?: Logger } = {},
): Promise<PeerInfo[]> {
  const key = await rootDhtKey(rootRef);
  const max = options.max ?? DHT_FIND_MAX_PROVIDERS;
  const found = new Map<string, PeerInfo>();
  try {
    for await (const p of host.contentRouting.findProviders(key, { signal: options.signal ?? AbortSignal.timeout(TREE_FIND_TIMEOUT_MS) })) {
      if (p.id.equals(host.peerId)) continue;
      found.set(p.id.toString(), p);
      if (found.size >= max) break;
    }
  } catch (e) {
    const err = e as Error;
    // The deadline ends a lookup normally: what was found by then is the answer.
    if (err.name !== 'AbortError' && err.name !== 'TimeoutError') {
      if (found.size === 0) fail('io', `looking up ${formatErisReference(rootRef)} in the DHT failed: ${err.message}`);
      (options.log ?? silentLogger).info(`looking up ${formatErisReference(rootRef)} in the DHT stopped after ${found.size} holder(s): ${err.message}`);
    }
  }
  return [...found.values()];
}
