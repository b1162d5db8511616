import { existsSync } from 'node:fs';
import { generateKeyPair, keyPairFromSeed, type Ed25519KeyPair } from '../core/ed25519.js';
import { didFromPublicKey } from '../core/didkey.js';
import { seedToPhrase } from '../core/mnemonic.js';
import type { Did } from '../core/types.js';
import { readKeyFile, writeKeyFile } from '../store/keyfile.js';
import { ensureHome, type Home } from './home.js';

/** The person's identity on this node: their Ed25519 key, held in a 0600 file. */
export interface Identity {
  readonly did: Did;
  readonly key: Ed25519KeyPair;
}

export function hasIdentity(home: Home): boolean {
  return existsSync(home.identityKey);
}

/** Creates the identity key (random, or from a recovered seed); refuses if one exists. */
export function createIdentity(home: Home, seed?: Uint8Array): Identity & { phrase: string } {
  ensureHome(home);
  const key = seed ? keyPairFromSeed(seed) : generateKeyPair();
  writeKeyFile(home.identityKey, key);
  return { did: didFromPublicKey(key.publicKey), key, phrase: seedToPhrase(key.seed) };
}

export function loadIdentity(home: Home): Identity {
  const key = readKeyFile(home.identityKey);
  return { did: didFromPublicKey(key.publicKey), key };
}

export function recoveryPhrase(identity: Identity): string {
  return seedToPhrase(identity.key.seed);
}
