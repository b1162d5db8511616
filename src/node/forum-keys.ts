import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyPair, type Ed25519KeyPair } from '../core/ed25519.js';
import { didFromPublicKey, parseDid } from '../core/didkey.js';
import { fail } from '../core/errors.js';
import { readKeyFile, writeKeyFile } from '../store/keyfile.js';
import type { Did } from '../core/types.js';
import type { Home } from './home.js';

/**
 * The root keys of the forums this node's person owns: one file each under
 * `<home>/forums/`, mode 0600 like the identity key. Whoever holds a file
 * holds the forum; a host that keeps a forum has none.
 */
export class ForumKeys {
  private readonly dir: string;
  private readonly cache = new Map<Did, Ed25519KeyPair>();

  constructor(home: Home) {
    this.dir = join(home.root, 'forums');
  }

  /** A new forum root: its key is written before anything is signed with it, so no forum exists without its key on disk. */
  create(): { forum: Did; key: Ed25519KeyPair } {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const key = generateKeyPair();
    const forum = didFromPublicKey(key.publicKey);
    writeKeyFile(this.pathOf(forum), key);
    this.cache.set(forum, key);
    return { forum, key };
  }

  has(forum: Did): boolean {
    return this.cache.has(forum) || existsSync(this.pathOf(forum));
  }

  key(forum: Did): Ed25519KeyPair {
    const hit = this.cache.get(forum);
    if (hit) return hit;
    if (!existsSync(this.pathOf(forum))) fail('unauthorized', `this node does not hold the root key of ${forum}; only its owner's node acts as the forum`);
    const key = readKeyFile(this.pathOf(forum));
    if (didFromPublicKey(key.publicKey) !== forum) fail('io', `the key file for ${forum} holds another key`);
    this.cache.set(forum, key);
    return key;
  }

  private pathOf(forum: Did): string {
    // The multibase part of the did:key: file-name safe.
    return join(this.dir, `${parseDid(forum).slice('did:key:'.length)}.key`);
  }
}
