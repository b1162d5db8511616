import { fail } from '../core/errors.js';
import { normalizePairingCode } from '../core/pairing.js';
import { parseDateTime } from '../core/time.js';
import type { Certificate } from '../core/certificate.js';
import type { Device } from '../store/devices.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';
import { DevicePairing, type DeviceLogin, type PairRequest } from './devices.js';
import type { LoginChallenge } from './login-challenges.js';

/**
 * The owner's devices as operations: pairing (the certificate travels to
 * followers, so they can check posts signed on the device), logging in and
 * out, listing and removing (the revocation travels too).
 */

/** A device id as DevicePairing makes them: 6 random bytes in hex. */
const DEVICE_ID = /^[0-9a-f]{12}$/;

/** A cut-off as a person writes it: an ISO 8601 date-time with its zone. */
function cutOffTime(v: string): number {
  const ms = parseDateTime(v);
  if (Number.isNaN(ms))
    fail('malformed', `the cut-off "${v.slice(0, 40)}" must be a date and time with its zone, like 2025-06-01T14:00:00Z or 2025-06-01T16:00:00+02:00`);
  return ms;
}

export interface PairingOfferLink {
  /** As shown: ABCD-EFGH. */
  readonly code: string;
  /** Opens the web app at `baseUrl` with the code filled in. */
  readonly url: string;
  readonly expires: number;
}

export class OwnerDevices {
  /** Its `paired` and `revoked` events are for live updates (a removed device's streams close at once). */
  readonly pairing: DevicePairing;

  constructor(
    private readonly node: KithNode,
    private readonly link: NetworkLink,
    now: () => number = Date.now,
  ) {
    this.pairing = new DevicePairing(node, now);
  }

  /** A new pairing code, with the link that opens the web app (reached at `baseUrl`) with it. */
  offer(baseUrl: string): PairingOfferLink {
    const offer = this.pairing.offer();
    return { code: offer.code, url: `${baseUrl.replace(/\/$/, '')}/#pair=${normalizePairingCode(offer.code)}`, expires: offer.expires };
  }

  /**
   * Claims a code for a device key; the device's certificate is pushed to followers.
   * `client` names where the request came from (an address), so one client's wrong guesses hold back only that client.
   */
  async pair(req: PairRequest, client: string): Promise<DeviceLogin & { certificate: Certificate }> {
    const r = this.pairing.pair(req, client);
    await this.link.push(r.certificate.digest);
    return r;
  }

  challenge(client: string): LoginChallenge {
    return this.pairing.challenge(client);
  }

  login(req: { publicKey: unknown; nonce: unknown; signature: unknown }, client: string): DeviceLogin {
    return this.pairing.login(req, client);
  }

  /** The device a session token belongs to; refuses unknown, expired and revoked ones with the reason. */
  authenticate(token: string): Device {
    return this.pairing.authenticate(token);
  }

  /** Notes a device seen by the API's front thread, which reads but cannot write. */
  seenById(id: string): void {
    const device = this.node.store.devices.get(id);
    if (device) this.pairing.seen(device);
  }

  logout(token: string): void {
    this.pairing.logout(token);
  }

  list(): Device[] {
    return this.pairing.list();
  }

  /**
   * Removes a device: its certificate is revoked (and the revocation pushed)
   * and it is refused from now on. `cutOff`, an ISO 8601 time no later than
   * now, also voids what the device signed from then on (default: now).
   */
  async revoke(id: string, cutOff?: string): Promise<Device> {
    if (!DEVICE_ID.test(id)) fail('malformed', 'a device id is 12 hexadecimal characters (see: kith devices)');
    const { device, revocation } = this.pairing.revoke(id, cutOff === undefined ? {} : { cutOff: cutOffTime(cutOff) });
    await this.link.push(revocation.digest);
    return device;
  }
}
