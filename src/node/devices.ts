import { EventEmitter } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { fail } from '../core/errors.js';
import { verify } from '../core/ed25519.js';
import { didFromPublicKey } from '../core/didkey.js';
import { isoOf } from '../core/statement.js';
import { formatPairingCode, normalizePairingCode, pairingCodeFromBytes, pairMessage, sessionMessage } from '../core/pairing.js';
import type { Certificate } from '../core/certificate.js';
import type { Revocation } from '../core/revocation.js';
import type { Device } from '../store/devices.js';
import type { KithNode } from './kith-node.js';
import { loadPreferences } from './preferences.js';

/**
 * Pairing the owner's devices with their home node, and knowing them again.
 *
 * The node shows a short code (`kith pair`, or a paired device's Settings).
 * A new device makes an Ed25519 key of its own, signs the code with it, and
 * gets a certificate from the owner's identity for that key, with an expiry;
 * its name stays on this node. From then on the device logs in by signing a
 * fresh nonce, and holds a session token (an HttpOnly cookie in a browser).
 * Revoking a device signs a revocation of its certificate and refuses its
 * sessions at once.
 */

const OFFER_TTL_MS = 10 * 60_000;
const MAX_OFFERS = 8;
const CHALLENGE_TTL_MS = 2 * 60_000;
const MAX_CHALLENGES = 256;
const SESSION_TTL_MS = 30 * 24 * 3600_000;
/** Wrong codes tolerated per window, across all offers; past that every offer is void until the window passes. */
const MAX_FAILURES = 10;
const FAILURE_WINDOW_MS = 10 * 60_000;
const SEEN_EVERY_MS = 60_000;
const MAX_NAME = 64;

export interface PairingOffer {
  /** As shown: ABCD-EFGH. */
  readonly code: string;
  readonly expires: number;
}

export interface DeviceLogin {
  readonly device: Device;
  /** The session token: give it to the device, never store it. */
  readonly token: string;
}

export interface PairRequest {
  readonly code: unknown;
  readonly name: unknown;
  readonly publicKey: unknown;
  readonly signature: unknown;
}

function base64url(v: unknown, bytes: number, field: string): Uint8Array {
  if (typeof v !== 'string' || !/^[A-Za-z0-9_-]+$/.test(v)) return fail('malformed', `${field} must be base64url`);
  const b = Buffer.from(v, 'base64url');
  if (b.length !== bytes) fail('malformed', `${field} must be ${bytes} bytes, base64url-encoded`);
  return b;
}

const hashToken = (token: string): Buffer => createHash('sha256').update(token).digest();

export class DevicePairing extends EventEmitter<{ revoked: [Device]; paired: [Device] }> {
  private readonly offers = new Map<string, number>();
  private readonly challenges = new Map<string, number>();
  private failures: number[] = [];
  private readonly lastSeen = new Map<string, number>();

  constructor(
    private readonly node: KithNode,
    private readonly now: () => number = Date.now,
  ) {
    super();
  }

  /** A new pairing code, good for ten minutes and one device. */
  offer(): PairingOffer {
    const now = this.now();
    this.sweep(now);
    if (this.offers.size >= MAX_OFFERS) fail('rate-limited', `${MAX_OFFERS} pairing codes are already waiting; use one or wait until they expire`);
    let code: string | undefined;
    while (code === undefined || this.offers.has(code)) code = pairingCodeFromBytes(randomBytes(16));
    const expires = now + OFFER_TTL_MS;
    this.offers.set(code, expires);
    return { code: formatPairingCode(code), expires };
  }

  /** Claims a code for a device key; the device must sign the code with that key. */
  pair(req: PairRequest): DeviceLogin & { certificate: Certificate } {
    const now = this.now();
    this.sweep(now);
    if (this.failures.length >= MAX_FAILURES) {
      fail('rate-limited', 'too many wrong pairing codes; wait ten minutes, then ask your node for a new code');
    }
    const code = normalizePairingCode(req.code);
    const name = typeof req.name === 'string' ? req.name.trim() : '';
    if (name.length === 0 || name.length > MAX_NAME) fail('malformed', `name must be 1 to ${MAX_NAME} characters, like "Phone" or "Laptop browser"`);
    const publicKey = base64url(req.publicKey, 32, 'publicKey');
    const signature = base64url(req.signature, 64, 'signature');
    if (!this.offers.has(code)) {
      this.failures.push(now);
      if (this.failures.length >= MAX_FAILURES) this.offers.clear();
      const left = Math.max(0, MAX_FAILURES - this.failures.length);
      fail('unauthorized', `that pairing code is wrong or has expired; check it, or ask your node for a new one (${left} tries left)`);
    }
    if (!verify(publicKey, new TextEncoder().encode(pairMessage(code, req.publicKey as string)), signature)) {
      fail('bad-signature', 'the signature does not match the device key and code');
    }
    const did = didFromPublicKey(publicKey);
    if (did === this.node.did) fail('conflict', "a device needs a key of its own, not the owner's identity key");
    if (this.node.store.devices.byDid(did)) fail('conflict', 'this device key was paired before; make a new key to pair again');
    this.offers.delete(code);
    const lifetime = loadPreferences(this.node.store.settings).deviceLifetimeDays * 24 * 3600_000;
    const certificate = this.node.certifyDevice(did, now + lifetime);
    const id = randomBytes(6).toString('hex');
    this.node.store.devices.add({ id, did, name, certificate: certificate.digest, created: now, expires: certificate.expires });
    const device = this.node.store.devices.get(id)!;
    this.emit('paired', device);
    return { device, certificate, token: this.startSession(id, now) };
  }

  /** A nonce for a paired device to sign. */
  challenge(): { nonce: string; expires: number } {
    const now = this.now();
    this.sweep(now);
    if (this.challenges.size >= MAX_CHALLENGES) fail('rate-limited', 'too many logins under way; try again in a minute');
    const nonce = randomBytes(24).toString('base64url');
    const expires = now + CHALLENGE_TTL_MS;
    this.challenges.set(nonce, expires);
    return { nonce, expires };
  }

  /** A paired device logs in again by signing a nonce from challenge(). */
  login(req: { publicKey: unknown; nonce: unknown; signature: unknown }): DeviceLogin {
    const now = this.now();
    this.sweep(now);
    const publicKey = base64url(req.publicKey, 32, 'publicKey');
    const signature = base64url(req.signature, 64, 'signature');
    if (typeof req.nonce !== 'string' || !this.challenges.has(req.nonce)) {
      fail('unauthenticated', 'that login challenge is unknown or has expired; ask for a new one');
    }
    this.challenges.delete(req.nonce);
    if (!verify(publicKey, new TextEncoder().encode(sessionMessage(req.nonce, req.publicKey as string)), signature)) {
      fail('bad-signature', 'the signature does not match the device key and challenge');
    }
    const device = this.node.store.devices.byDid(didFromPublicKey(publicKey));
    if (!device) fail('unauthenticated', 'this device is not paired with this node; pair it first');
    this.checkStanding(device, now);
    return { device, token: this.startSession(device.id, now) };
  }

  /** The device a session token belongs to; refuses unknown, expired and revoked ones with the reason. */
  authenticate(token: string): Device {
    const now = this.now();
    const device = this.node.store.devices.session(hashToken(token), now);
    if (!device) return fail('unauthenticated', 'this session is unknown or has expired; log in again');
    this.checkStanding(device, now);
    const last = this.lastSeen.get(device.id) ?? device.lastSeen ?? 0;
    if (now - last >= SEEN_EVERY_MS) {
      this.lastSeen.set(device.id, now);
      this.node.store.devices.seen(device.id, now);
    }
    return device;
  }

  logout(token: string): void {
    this.node.store.devices.dropSession(hashToken(token));
  }

  list(): Device[] {
    return this.node.store.devices.list();
  }

  /**
   * Signs a revocation of the device's certificate, and refuses the device
   * from this moment. Nothing new its key signs is taken in any more, and
   * what it signed at or after `cutOff` (ms; default now, never later) is void
   * too, wherever it was stored: for a device lost or stolen some time ago.
   */
  revoke(id: string, opts: { cutOff?: number } = {}): { device: Device; revocation: Revocation } {
    const device = this.node.store.devices.get(id);
    if (!device) return fail('not-found', `no device ${id.slice(0, 20)} is paired with this node`);
    if (device.revoked !== null) fail('conflict', `${device.name} was already removed on ${isoOf(device.revoked)}`);
    const now = this.now();
    const { cutOff } = opts;
    if (cutOff !== undefined && !(cutOff <= now)) {
      fail(
        'malformed',
        `the cut-off (${Number.isFinite(cutOff) ? isoOf(cutOff) : cutOff}) is later than now; name the time from which the device's posts are void`,
      );
    }
    const revocation = this.node.revokeCertificate(device.certificate, cutOff);
    this.node.store.devices.revoke(id, now);
    const revoked = this.node.store.devices.get(id)!;
    this.emit('revoked', revoked);
    return { device: revoked, revocation };
  }

  private checkStanding(device: Device, now: number): void {
    if (device.revoked !== null) fail('revoked', `this device (${device.name}) was removed from the node; pair it again to continue`);
    if (device.expires <= now) fail('expired', `this device's pairing expired on ${isoOf(device.expires)}; pair it again to continue`);
  }

  private startSession(device: string, now: number): string {
    const token = randomBytes(32).toString('base64url');
    this.node.store.devices.addSession(hashToken(token), device, now, now + SESSION_TTL_MS);
    return token;
  }

  private sweep(now: number): void {
    for (const [k, exp] of this.offers) if (exp <= now) this.offers.delete(k);
    for (const [k, exp] of this.challenges) if (exp <= now) this.challenges.delete(k);
    this.failures = this.failures.filter((t) => now - t < FAILURE_WINDOW_MS);
  }
}
