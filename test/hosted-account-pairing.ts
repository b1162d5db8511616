import assert from 'node:assert/strict';
import { issueCertificate } from '../src/core/certificate.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { generateKeyPair, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { normalizePairingCode, pairMessage } from '../src/core/pairing.js';
import type { Did, Digest } from '../src/core/types.js';
import type { KithService } from '../src/node/service.js';
import type { HostedAccount } from '../src/store/hosted-accounts.js';
import { signText } from './device-client.js';
import { DELEGATE_KEY_ROLE } from '../src/node/account-pairing.js';
import { readKeyFile } from '../src/store/keyfile.js';

/** A hosted account paired in-process, as a person's device pairs it over the owner API. */

export interface Hosted {
  readonly key: Ed25519KeyPair;
  readonly did: Did;
  readonly publishDigest: Digest;
  account(): HostedAccount;
}

/** Pairs a new account on `host` as a device would: its own key, the code claimed, the publish certificate signed on the device. */
/**
 * `notBefore`: when the device's certificate starts (rounded up to the second), for a host on a clock of its own;
 * `expires`: when it runs out, if sooner than the terms offer.
 */
export async function hostAccount(host: KithService, name: string, notBefore?: number, expires?: number): Promise<Hosted> {
  const key = generateKeyPair();
  const publicKey = Buffer.from(key.publicKey).toString('base64url');
  const offer = host.accounts.offer(name, 'http://127.0.0.1:9');
  const code = normalizePairingCode(offer.code);
  const signature = signText(key, pairMessage(code, publicKey));
  const terms = host.accounts.claim({ code, publicKey, signature }, 'device');
  const cert = issueCertificate(key, {
    subject: terms.delegate,
    capability: terms.capability,
    resource: terms.resource,
    expires: expires ?? Date.parse(terms.expires),
    ...(notBefore === undefined ? {} : { notBefore }),
  });
  const r = await host.accounts.pair({ code, publicKey, signature, certificate: cert.doc }, 'device');
  const did = didFromPublicKey(key.publicKey);
  assert.equal(r.account.did, did);
  assert.equal(r.account.root, host.node.did);
  return { key, did, publishDigest: cert.digest, account: () => host.node.store.hostedAccounts.get(did)! };
}

/** The key `host` signs with for the account: what a rogue host (or one whose key leaked) would sign with. */
export function delegateKeyOf(host: KithService, a: Hosted): Ed25519KeyPair {
  const row = host.node.store.keys.byRole(DELEGATE_KEY_ROLE).find((k) => k.did === a.account().delegate);
  assert.ok(row, 'the host holds the delegate key');
  return readKeyFile(row.file);
}
