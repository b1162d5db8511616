import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { ACCOUNT_MEMBER } from '../core/account-vouch.js';
import { buildActor } from '../core/as2.js';
import { parseCertificate, capabilitiesCover, type Certificate } from '../core/certificate.js';
import {
  ACCOUNT_CERTIFICATE_LIFETIME_MS,
  ACCOUNT_OFFER_TTL_MS,
  ACCOUNT_PUBLISH_LIFETIME_MS,
  MAX_ACCOUNT_OFFERS,
  MAX_THROTTLED_CLIENTS,
  PAIRING_FAILURE_WINDOW_MS,
  PAIRING_FAILURES_PER_CLIENT,
} from '../core/constants.js';
import { didFromPublicKey } from '../core/didkey.js';
import { generateKeyPair, verify, type Ed25519KeyPair } from '../core/ed25519.js';
import { fail, KithError } from '../core/errors.js';
import { formatPairingCode, normalizePairingCode, pairingCodeFromBytes, pairMessage } from '../core/pairing.js';
import { signDocument } from '../core/proof.js';
import { isoOf, showDid } from '../core/statement.js';
import { isJsonObject, type ApId, type Did, type Digest, type JsonObject } from '../core/types.js';
import { PUBLISH } from '../store/ingest.js';
import { writeKeyFile } from '../store/keyfile.js';
import type { HostedAccount } from '../store/hosted-accounts.js';
import type { Device } from '../store/devices.js';
import { ClientThrottle } from './client-throttle.js';
import { startDeviceSession } from './devices.js';
import type { KithNode } from './kith-node.js';

/**
 * Taking on a hosted account (`kith account add`): pairing as for the
 * owner's devices, but the key the person's device makes becomes the
 * account's identity. The node makes a delegate key for the account; the
 * device, once it has claimed the code, signs a certificate letting that key
 * publish in its name for a while (ACCOUNT_PUBLISH_LIFETIME_MS, renewed from
 * the device), and the node's root signs the account certificate vouching
 * for the person. The person can revoke the delegate at any time, and leave
 * with their key.
 */

export const DELEGATE_KEY_ROLE = 'account-delegate';
const MAX_NAME = 64;

export interface AccountOffer {
  /** As shown: ABCD-EFGH. */
  readonly code: string;
  /** Opens the web app at the node with the code filled in. */
  readonly url: string;
  readonly expires: number;
}

/** What a device that claimed a code signs next: a publish certificate with these terms. */
export interface AccountTerms {
  readonly account: Did;
  /** The node's key for the account: the certificate's subject. */
  readonly delegate: Did;
  readonly capability: readonly string[];
  readonly resource: ApId;
  /** The longest the certificate should hold (ISO 8601); a shorter one is renewed sooner. */
  readonly expires: string;
}

export interface AccountPaired {
  readonly account: HostedAccount;
  readonly device: Device;
  readonly token: string;
  /** What to push to peers: the publish and account certificates, and the account's actor document. */
  readonly stored: readonly Digest[];
}

interface Offer {
  readonly name: string;
  readonly delegate: Ed25519KeyPair;
  readonly expires: number;
  /** The key that claimed it: only that key may finish pairing with it. */
  claimedBy?: Did;
}

function base64url(v: unknown, bytes: number, field: string): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]+$/.test(v)) return fail('malformed', `${field} must be base64url`);
  const b = Buffer.from(v, 'base64url');
  if (b.length !== bytes) fail('malformed', `${field} must be ${bytes} bytes, base64url-encoded`);
  return b;
}

/** Is this a certificate from `account` letting `delegate` publish in its whole name? Throws why not. */
export function checkPublishCertificate(doc: unknown, account: Did, delegate: Did, now: number): Certificate {
  if (!isJsonObject(doc)) return fail('malformed', 'certificate must be the signed KithCertificate document');
  let cert: Certificate;
  try {
    cert = parseCertificate(doc);
  } catch (e) {
    if (!(e instanceof KithError)) throw e;
    throw new KithError(e.code === 'bad-signature' || e.code === 'wrong-key' ? 'forged' : e.code, `the publish certificate: ${e.message}`);
  }
  if (cert.issuer !== account) fail('forged', `the publish certificate is signed by ${showDid(cert.issuer)}, not by the account's key ${showDid(account)}`);
  if (cert.subject !== delegate) fail('unauthorized', `the publish certificate is for ${showDid(cert.subject)}, not for this node's key ${showDid(delegate)}`);
  if (!capabilitiesCover(cert.capability, PUBLISH)) fail('unauthorized', `the publish certificate grants ${cert.capability.join(', ')}, not "${PUBLISH}"`);
  if (cert.resource !== `ap://${account}`) fail('unauthorized', `the publish certificate must be over ap://${showDid(account)}, not ${cert.resource}`);
  if (cert.notBefore > now) fail('not-yet-valid', `the publish certificate starts only at ${isoOf(cert.notBefore)}`);
  if (cert.expires <= now) fail('expired', `the publish certificate expired at ${isoOf(cert.expires)}`);
  return cert;
}

export class AccountPairing {
  private readonly offers = new Map<string, Offer>();
  private readonly failures = new ClientThrottle(PAIRING_FAILURES_PER_CLIENT, PAIRING_FAILURE_WINDOW_MS, MAX_THROTTLED_CLIENTS);

  constructor(
    private readonly node: KithNode,
    private readonly now: () => number,
  ) {}

  /** A new code for one person's device, good for ACCOUNT_OFFER_TTL_MS; `name` is how the account is listed and its first display name. */
  offer(name: string, baseUrl: string): AccountOffer {
    const now = this.now();
    this.sweep(now);
    const shown = name.trim();
    if (shown.length === 0 || shown.length > MAX_NAME) fail('malformed', `an account's name must be 1 to ${MAX_NAME} characters, like "Grandma"`);
    if (this.offers.size >= MAX_ACCOUNT_OFFERS)
      fail('rate-limited', `${MAX_ACCOUNT_OFFERS} account codes are already waiting; use one or wait until they expire`);
    let code: string | undefined;
    while (code === undefined || this.offers.has(code)) code = pairingCodeFromBytes(randomBytes(16));
    const expires = now + ACCOUNT_OFFER_TTL_MS;
    this.offers.set(code, { name: shown, delegate: generateKeyPair(), expires });
    return { code: formatPairingCode(code), url: `${baseUrl.replace(/\/$/, '')}/#account=${code}`, expires };
  }

  /** A device claims a code with its key (signing the code, as in device pairing) and learns what certificate to sign. */
  claim(req: { code: unknown; publicKey: unknown; signature: unknown }, client: string): AccountTerms {
    const now = this.now();
    const { code, offer, account } = this.offerFor(req, client, now);
    if (account === this.node.did) fail('conflict', "a hosted account needs a key of its own, not the node owner's");
    if (this.node.store.devices.byDid(account) || this.node.store.hostedAccounts.get(account)) {
      fail('conflict', 'this key is already paired with this node; make a new key for a new account');
    }
    if (offer.claimedBy !== undefined && offer.claimedBy !== account) fail('conflict', 'another device already claimed this code; ask for a new one');
    offer.claimedBy = account;
    this.offers.set(code, offer);
    return {
      account,
      delegate: didFromPublicKey(offer.delegate.publicKey),
      capability: [PUBLISH],
      resource: `ap://${account}` as ApId,
      expires: isoOf(Math.floor((now + ACCOUNT_PUBLISH_LIFETIME_MS) / 1000) * 1000),
    };
  }

  /**
   * Finishes pairing: the device sends the publish certificate it signed for
   * the delegate key. Everything is checked before anything is written; then
   * the delegate's key file, both certificates, the account's actor document
   * and its device row land together.
   */
  pair(req: { code: unknown; publicKey: unknown; signature: unknown; certificate: unknown }, client: string): AccountPaired {
    const now = this.now();
    const { code, offer, account } = this.offerFor(req, client, now);
    if (offer.claimedBy !== account) fail('conflict', 'claim the code with this key first (POST /api/accounts/claim)');
    const delegate = didFromPublicKey(offer.delegate.publicKey);
    const publish = checkPublishCertificate(req.certificate, account, delegate, now);
    this.offers.delete(code);

    const dir = join(this.node.home.root, 'accounts');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const file = join(dir, `${delegate.slice('did:key:'.length)}.key`);
    writeKeyFile(file, offer.delegate);
    const store = this.node.store;
    return store.transaction(() => {
      store.keys.add(delegate, DELEGATE_KEY_ROLE, file, now);
      this.node.ingest(publish.doc as JsonObject);
      const vouch = this.node.certifyAccount(account, now + ACCOUNT_CERTIFICATE_LIFETIME_MS);
      // Where the account is reached: this node's peer addresses, as its owner's actor lists them.
      const endpoints = this.node.actor().endpoints;
      const unsigned: JsonObject = { ...buildActor(account, { name: offer.name }, now), [ACCOUNT_MEMBER]: { certificate: vouch.doc } };
      if (isJsonObject(endpoints)) unsigned.endpoints = endpoints;
      const actor = signDocument(unsigned, offer.delegate);
      const published = this.node.ingest(actor);
      const id = randomBytes(6).toString('hex');
      store.devices.add({ id, did: account, name: offer.name, certificate: vouch.digest, created: now, expires: vouch.expires, account: 1 });
      store.hostedAccounts.add({
        did: account,
        name: offer.name,
        delegate,
        publishCertificate: publish.digest,
        publishExpires: publish.expires,
        accountCertificate: vouch.digest,
        created: now,
      });
      return {
        account: store.hostedAccounts.get(account)!,
        device: store.devices.get(id)!,
        token: startDeviceSession(store.devices, id, now),
        stored: [publish.digest, vouch.digest, published.digest],
      };
    });
  }

  /** The waiting offer a request names, its key and signature checked; a wrong code counts against the client. */
  private offerFor(req: { code: unknown; publicKey: unknown; signature: unknown }, client: string, now: number): { code: string; offer: Offer; account: Did } {
    this.sweep(now);
    if (this.failures.left(client, now) <= 0) fail('rate-limited', 'too many wrong account codes from this address; wait ten minutes and try again');
    const code = normalizePairingCode(req.code);
    const publicKey = base64url(req.publicKey, 32, 'publicKey');
    const signature = base64url(req.signature, 64, 'signature');
    const offer = this.offers.get(code);
    if (offer === undefined) {
      this.failures.take(client, now);
      fail('unauthorized', 'that account code is wrong or has expired; ask the node owner for a new one (kith account add)');
    }
    if (!verify(publicKey, new TextEncoder().encode(pairMessage(code, req.publicKey as string)), signature)) {
      fail('bad-signature', 'the signature does not match the key and code');
    }
    return { code, offer, account: didFromPublicKey(publicKey) };
  }

  private sweep(now: number): void {
    for (const [k, o] of this.offers) if (o.expires <= now) this.offers.delete(k);
  }
}
