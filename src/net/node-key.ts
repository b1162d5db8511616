import { closeSync, constants, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { generateKeyPairFromSeed } from '@libp2p/crypto/keys';
import type { PrivateKey } from '@libp2p/interface';
import { KithError } from '../core/errors.js';
import { decodeBase58btc, encodeBase58btc } from '../core/multibase.js';

/**
 * The node's libp2p key, separate from the person's identity key: it names
 * this machine on the network (its peer id) and signs transport handshakes and
 * gossip envelopes, never Kith objects. Losing it only changes the peer id, so
 * it is not part of the recovery phrase; keeping it keeps the peer id stable
 * across restarts, which is what other nodes and the DHT remember.
 *
 * Same file discipline as store/keyfile.ts: the 32-byte Ed25519 seed,
 * multibase-encoded behind a header, mode 0600, created with O_EXCL and never
 * overwritten, refused when others can read it.
 */
const HEADER = 'kith-libp2p-ed25519-seed-v1 ';

export async function loadOrCreateNodeKey(path: string): Promise<PrivateKey> {
  const existing = await readNodeKey(path);
  if (existing !== undefined) return existing;
  const seed = randomBytes(32);
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    // Another process (a second `kith start`) created it between our read and
    // our create; its key wins so both agree on one peer id.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      const key = await readNodeKey(path);
      if (key !== undefined) return key;
    }
    throw new KithError('io', `cannot create node key file ${path}: ${(e as Error).message}`);
  }
  try {
    writeSync(fd, `${HEADER}${encodeBase58btc(seed)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return generateKeyPairFromSeed('Ed25519', seed);
}

/** The key at `path`, or undefined when there is no file yet. */
async function readNodeKey(path: string): Promise<PrivateKey | undefined> {
  let text: string;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new KithError('io', `node key ${path} is not a regular file`);
    const mode = st.mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new KithError('io', `node key file ${path} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof KithError) throw e;
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new KithError('io', `cannot read node key file ${path}: ${(e as Error).message}`);
  }
  // An empty file is what a crash between create and write leaves; say so
  // rather than silently minting a new peer id over it.
  if (!text.startsWith(HEADER)) throw new KithError('bad-encoding', `${path} is not a Kith node key file (empty or damaged?)`);
  let seed: Uint8Array;
  try {
    seed = decodeBase58btc(text.slice(HEADER.length).trim());
  } catch (e) {
    throw new KithError('bad-encoding', `${path} holds a damaged node key: ${(e as Error).message}`);
  }
  if (seed.length !== 32) throw new KithError('bad-encoding', `${path} holds a ${seed.length}-byte seed; expected 32`);
  return generateKeyPairFromSeed('Ed25519', seed);
}
