import { join } from 'node:path';
import { fail } from '../core/errors.js';
import { actorId } from '../core/apid.js';
import { agreementKeyId, agreementMethod, agreementPublicOf, newAgreementKey, publishedAgreementKey } from '../core/follower-keys.js';
import { publicKeyFromDid, x25519PublicFromEd25519 } from '../core/didkey.js';
import { KEY_AGREEMENT_GRACE_MS, KEY_AGREEMENT_ROTATION_MS } from '../core/constants.js';
import type { Did, JsonObject } from '../core/types.js';
import { parseBody } from '../store/objects.js';
import type { KithNode } from './kith-node.js';
import { eraseSecretFile, listSecretFiles, readSecretFile, secretDir, writeSecretFile } from './secret-files.js';

/**
 * This person's X25519 key-agreement keys: published in the actor document
 * (its proof certifies them), replaced every KEY_AGREEMENT_ROTATION_MS, and a
 * replaced key's private half erased KEY_AGREEMENT_GRACE_MS after its
 * successor appeared, so a later theft of the node opens nothing sealed to it.
 * Private halves live in `<home>/agreement/<created>.json`, mode 0600.
 *
 * What was sealed to the key the did:key gives (inbox deliveries, and epoch
 * keys from authors who have not seen a published key yet) still opens: that
 * key cannot rotate, so a sender uses it only when no published key is known.
 */

interface AgreementFile {
  readonly created: number;
  readonly secret: Uint8Array;
  readonly path: string;
}

export class KeyAgreement {
  private readonly dir: string;

  constructor(
    private readonly node: KithNode,
    private readonly now: () => number = Date.now,
  ) {
    this.dir = secretDir(node.home.root, 'agreement');
  }

  private keys(): AgreementFile[] {
    return listSecretFiles(this.dir)
      .map((f) => {
        const path = join(this.dir, f);
        const doc = readSecretFile(path);
        if (typeof doc.created !== 'number' || typeof doc.secret !== 'string') fail('malformed', `${path} is not a key-agreement key file`);
        return { created: doc.created, secret: new Uint8Array(Buffer.from(doc.secret, 'base64')), path };
      })
      .sort((a, b) => b.created - a.created);
  }

  /**
   * Makes a new key when there is none or the newest is due, erases private
   * halves past their grace, and publishes the newest key. Returns whether the
   * actor document changed.
   */
  rotateIfDue(): boolean {
    return this.node.publishKeyAgreement([this.currentMethod()]);
  }

  /** Makes a new key when there is none or the newest is due, erases private halves past their grace; the newest key's entry for the actor. */
  currentMethod(): JsonObject {
    const now = this.now();
    let keys = this.keys();
    if (keys.length === 0 || keys[0]!.created + KEY_AGREEMENT_ROTATION_MS <= now) {
      const k = newAgreementKey();
      const created = Math.max(now, (keys[0]?.created ?? 0) + 1);
      writeSecretFile(join(this.dir, `${String(created).padStart(15, '0')}.json`), { created, secret: Buffer.from(k.secret).toString('base64') });
      keys = this.keys();
    }
    // A key is erased once its successor has been out for the grace period.
    for (let i = 1; i < keys.length; i++) {
      if (keys[i - 1]!.created + KEY_AGREEMENT_GRACE_MS <= now) eraseSecretFile(keys[i]!.path);
    }
    return agreementMethod(this.node.did, agreementPublicOf(keys[0]!.secret));
  }

  /** The secret that opens what was sealed to `keyId` (a published key's id, or this person's did:key); undefined once erased. */
  secretFor(keyId: string): Uint8Array | undefined {
    if (keyId === this.node.did) return this.node.keyAgreementSecret();
    for (const k of this.keys()) if (agreementKeyId(this.node.did, agreementPublicOf(k.secret)) === keyId) return k.secret;
    return undefined;
  }

  /** Where to seal something for `did`: their newest published key if this store holds their actor, else the key their did:key gives. */
  recipientKey(did: Did): { keyId: string; publicKey: Uint8Array } {
    const stored = this.node.store.objects.byId(actorId(did));
    const published = stored ? publishedAgreementKey(parseBody(stored)) : undefined;
    if (published) return { keyId: published.id, publicKey: published.publicKey };
    return { keyId: did, publicKey: x25519PublicFromEd25519(publicKeyFromDid(did)) };
  }
}
