import { EventEmitter } from 'node:events';
import { createHash, randomBytes } from 'node:crypto';
import { fail } from '../core/errors.js';
import {
  DEVICE_SEEN_EVERY_MS,
  LOGIN_ATTEMPT_WINDOW_MS,
  LOGIN_ATTEMPTS_PER_CLIENT,
  MAX_THROTTLED_CLIENTS,
  PAIRING_FAILURE_WINDOW_MS,
  PAIRING_FAILURES_PER_CLIENT,
  PAIRING_FAILURES_TOTAL,
} from '../core/constants.js';
import { verify } from '../core/ed25519.js';
import { didFromPublicKey } from '../core/didkey.js';
import { isoOf } from '../core/statement.js';
import { formatPairingCode, normalizePairingCode, pairingCodeFromBytes, pairMessage, sessionMessage } from '../core/pairing.js';
import type { Certificate } from '../core/certificate.js';
import type { Revocation } from '../core/revocation.js';
import type { Device, DeviceTable } from '../store/devices.js';
import type { KithNode } from './kith-node.js';
import { loadPreferences } from './preferences.js';
import { ClientThrottle } from './client-throttle.js';
import { LoginChallenges, type LoginChallenge } from './login-challenges.js';

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
 *
 * Whoever can reach the node may try codes and logins, so attempts are
 * counted per client address (as the owner API tells it): one address that
 * keeps guessing waits, and nobody else is locked out.
 */

const OFFER_TTL_MS = 10 * 60_000;
const MAX_OFFERS = 8;
const SESSION_TTL_MS = 30 * 24 * 3600_000;
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

function checkStanding(device: Device, now: number): void {
  if (device.revoked !== null) fail('revoked', `this device (${device.name}) was removed from the node; pair it again to continue`);
  if (device.expires <= now) fail('expired', `this device's pairing expired on ${isoOf(device.expires)}; pair it again to continue`);
}

/** The device a session token belongs to, refusing unknown, expired and revoked ones with the reason; writes nothing. */
export function sessionDevice(devices: DeviceTable, token: string, now: number): Device {
  const device = devices.session(hashToken(token), now);
  if (!device) return fail('unauthenticated', 'this session is unknown or has expired; log in again');
  checkStanding(device, now);
  return device;
}

/** Starts a session for a paired device (or a hosted account's device); returns its token, which is never stored. */
export function startDeviceSession(devices: DeviceTable, device: string, now: number): string {
  const token = randomBytes(32).toString('base64url');
  devices.addSession(hashToken(token), device, now, now + SESSION_TTL_MS);
  return token;
}

export class DevicePairing extends EventEmitter<{ revoked: [Device]; paired: [Device] }> {
  private readonly offers = new Map<string, number>();
  private readonly challenges = new LoginChallenges();
  private readonly pairFailures = new ClientThrottle(PAIRING_FAILURES_PER_CLIENT, PAIRING_FAILURE_WINDOW_MS, MAX_THROTTLED_CLIENTS);
  /** Wrong codes from everyone, as times: at most PAIRING_FAILURES_TOTAL of them. */
  private allFailures: number[] = [];
  private readonly logins = new ClientThrottle(LOGIN_ATTEMPTS_PER_CLIENT, LOGIN_ATTEMPT_WINDOW_MS, MAX_THROTTLED_CLIENTS);
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

  /** Claims a code for a device key; the device must sign the code with that key. `client` is the address it comes from. */
  pair(req: PairRequest, client: string): DeviceLogin & { certificate: Certificate } {
    const now = this.now();
    this.sweep(now);
    if (this.pairFailures.left(client, now) <= 0) fail('rate-limited', 'too many wrong pairing codes from this address; wait ten minutes and try again');
    if (this.allFailures.length >= PAIRING_FAILURES_TOTAL) {
      fail('rate-limited', 'too many wrong pairing codes from many addresses; pairing pauses for ten minutes (the codes shown stay valid)');
    }
    const code = normalizePairingCode(req.code);
    const name = typeof req.name === 'string' ? req.name.trim() : '';
    if (name.length === 0 || name.length > MAX_NAME) fail('malformed', `name must be 1 to ${MAX_NAME} characters, like "Phone" or "Laptop browser"`);
    const publicKey = base64url(req.publicKey, 32, 'publicKey');
    const signature = base64url(req.signature, 64, 'signature');
    if (!this.offers.has(code)) {
      this.pairFailures.take(client, now);
      this.allFailures.push(now);
      const left = Math.max(0, this.pairFailures.left(client, now));
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

  /** A nonce for a paired device to sign; `client` is the address asking. */
  challenge(client: string): LoginChallenge {
    const now = this.now();
    this.countLogin(client, now);
    return this.challenges.make(now);
  }

  /** A paired device logs in again by signing a nonce from challenge(); each challenge logs in once. */
  login(req: { publicKey: unknown; nonce: unknown; signature: unknown }, client: string): DeviceLogin {
    const now = this.now();
    this.countLogin(client, now);
    const publicKey = base64url(req.publicKey, 32, 'publicKey');
    const signature = base64url(req.signature, 64, 'signature');
    const challenge = this.challenges.check(req.nonce, now);
    if (!verify(publicKey, new TextEncoder().encode(sessionMessage(req.nonce as string, req.publicKey as string)), signature)) {
      fail('bad-signature', 'the signature does not match the device key and challenge');
    }
    const device = this.node.store.devices.byDid(didFromPublicKey(publicKey));
    if (!device) fail('unauthenticated', 'this device is not paired with this node; pair it first');
    checkStanding(device, now);
    this.challenges.spend(challenge, now);
    return { device, token: this.startSession(device.id, now) };
  }

  /** The device a session token belongs to; refuses unknown, expired and revoked ones with the reason. */
  authenticate(token: string): Device {
    const now = this.now();
    const device = sessionDevice(this.node.store.devices, token, now);
    this.seen(device, now);
    return device;
  }

  /** Notes that a device was seen, at most once a minute (a write, so not on every request). */
  seen(device: Device, now = this.now()): void {
    const last = this.lastSeen.get(device.id) ?? device.lastSeen ?? 0;
    if (now - last >= DEVICE_SEEN_EVERY_MS) {
      this.lastSeen.set(device.id, now);
      this.node.store.devices.seen(device.id, now);
    }
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
    if (device.account === 1) fail('conflict', `${device.name} is the device of a hosted account; remove the account instead (kith account remove)`);
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

  private startSession(device: string, now: number): string {
    return startDeviceSession(this.node.store.devices, device, now);
  }

  private countLogin(client: string, now: number): void {
    if (!this.logins.take(client, now)) fail('rate-limited', 'too many login requests from this address; wait a minute and try again');
  }

  private sweep(now: number): void {
    for (const [k, exp] of this.offers) if (exp <= now) this.offers.delete(k);
    if (this.allFailures.length > 0 && now - this.allFailures[0]! >= PAIRING_FAILURE_WINDOW_MS) {
      this.allFailures = this.allFailures.filter((t) => now - t < PAIRING_FAILURE_WINDOW_MS);
    }
  }
}
