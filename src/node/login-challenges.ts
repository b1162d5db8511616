import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { fail } from '../core/errors.js';
import { LOGIN_CHALLENGE_TTL_MS, MAX_USED_LOGIN_CHALLENGES } from '../core/constants.js';

/**
 * Login challenges that hold no state until they are answered: each is a
 * random nonce and the time it was made, with an HMAC-SHA-256 over both
 * under a secret this process keeps in memory. Asking for challenges costs
 * the node nothing it keeps, so no number of requests can use them up.
 *
 * A challenge answered by a successful login is remembered until it expires,
 * so the same signed answer (captured on a plain-http network, say) cannot
 * log in a second time. Only successful logins, each signed by a paired
 * device's key, add to that list; challenges merely asked for never do.
 * The secret is made anew at every start, which voids the challenges of the
 * process before (they live two minutes).
 */

const NONCE_BYTES = 16;
const TIME_BYTES = 8;
const MAC_BYTES = 32;
const CHALLENGE_BYTES = NONCE_BYTES + TIME_BYTES + MAC_BYTES;
/** Keeps these MACs apart from any other use of the secret. */
const DOMAIN = Buffer.from('kith-login-challenge\n');

export interface LoginChallenge {
  /** What the device signs (base64url); opaque to it. */
  readonly nonce: string;
  readonly expires: number;
}

export class LoginChallenges {
  private readonly secret = randomBytes(32);
  /** Answered challenges, by nonce, until they expire. */
  private readonly used = new Map<string, number>();

  make(now: number): LoginChallenge {
    const nonce = randomBytes(NONCE_BYTES);
    const time = Buffer.alloc(TIME_BYTES);
    time.writeBigUInt64BE(BigInt(now));
    return { nonce: Buffer.concat([nonce, time, this.mac(nonce, time)]).toString('base64url'), expires: now + LOGIN_CHALLENGE_TTL_MS };
  }

  /**
   * Checks that this node made the challenge and that it is fresh and not
   * yet answered; returns its key for spend(). Refuses otherwise, and
   * changes nothing either way.
   */
  check(challenge: unknown, now: number): string {
    const refuse = (): never => fail('unauthenticated', 'that login challenge is unknown, used or has expired; ask for a new one');
    if (typeof challenge !== 'string' || !/^[A-Za-z0-9_-]+$/.test(challenge)) return refuse();
    const bytes = Buffer.from(challenge, 'base64url');
    if (bytes.length !== CHALLENGE_BYTES) return refuse();
    const nonce = bytes.subarray(0, NONCE_BYTES);
    const time = bytes.subarray(NONCE_BYTES, NONCE_BYTES + TIME_BYTES);
    if (!timingSafeEqual(bytes.subarray(NONCE_BYTES + TIME_BYTES), this.mac(nonce, time))) return refuse();
    const made = Number(time.readBigUInt64BE());
    // A challenge from "the future" means the clock went back: it cannot be told fresh, so it is refused.
    if (made > now || now - made >= LOGIN_CHALLENGE_TTL_MS) return refuse();
    const key = nonce.toString('base64url');
    if (this.used.has(key)) return refuse();
    return key;
  }

  /** Marks a checked challenge answered, by a login that succeeded. */
  spend(key: string, now: number): void {
    this.sweep(now);
    if (this.used.size >= MAX_USED_LOGIN_CHALLENGES) {
      fail('rate-limited', 'too many logins in the last two minutes; wait a minute and log in again');
    }
    this.used.set(key, now + LOGIN_CHALLENGE_TTL_MS);
  }

  private mac(nonce: Uint8Array, time: Uint8Array): Buffer {
    return createHmac('sha256', this.secret).update(DOMAIN).update(nonce).update(time).digest();
  }

  private sweep(now: number): void {
    // Insertion order is expiry order (every entry lives the same time), so the expired are at the front.
    for (const [k, expires] of this.used) {
      if (expires > now) break;
      this.used.delete(k);
    }
  }
}
