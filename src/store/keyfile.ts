import { closeSync, constants, fsyncSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { KithError } from '../core/errors.js';
import { decodeBase58btc, encodeBase58btc } from '../core/multibase.js';
import { keyPairFromSeed, type Ed25519KeyPair } from '../core/ed25519.js';

/**
 * A private key file: the 32-byte Ed25519 seed, multibase-encoded, created
 * with mode 0600 and never overwritten. Only this module reads seeds from disk.
 */
const HEADER = 'kith-ed25519-seed-v1 ';

export function writeKeyFile(path: string, key: Ed25519KeyPair): void {
  let fd: number;
  try {
    // O_EXCL: never clobber an existing identity.
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new KithError('conflict', `a key already exists at ${path}; refusing to overwrite it`);
    throw new KithError('io', `cannot create key file ${path}: ${(e as Error).message}`);
  }
  try {
    writeSync(fd, `${HEADER}${encodeBase58btc(key.seed)}\n`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function readKeyFile(path: string): Ed25519KeyPair {
  let text: string;
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new KithError('io', `key file ${path} is readable by others (mode ${mode.toString(8)}); run: chmod 600 ${path}`);
    }
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if (e instanceof KithError) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new KithError('not-found', `no key at ${path}; run "kith init" first`);
    throw new KithError('io', `cannot read key file ${path}: ${(e as Error).message}`);
  }
  if (!text.startsWith(HEADER)) throw new KithError('bad-encoding', `${path} is not a Kith key file`);
  return keyPairFromSeed(decodeBase58btc(text.slice(HEADER.length).trim()));
}
