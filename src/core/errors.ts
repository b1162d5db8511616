/**
 * Every refusal in Kith is a KithError: a stable machine-readable code plus a
 * sentence a person can act on. Callers branch on `code`, people read `message`.
 */
export type ErrorCode =
  | 'malformed' // not the shape we expect (bad JSON, wrong types, missing fields)
  | 'too-large' // over a configured size or depth limit
  | 'bad-encoding' // multibase, multicodec, hex, base58 or key encoding is wrong
  | 'bad-signature' // signature does not verify
  | 'unknown-cryptosuite' // proof uses a suite we do not implement
  | 'wrong-key' // signed by a key that may not speak for this object
  | 'unauthorized' // authority chain missing or insufficient
  | 'forged' // a certificate link not signed by the key its parent certified
  | 'widened' // a certificate grants more than its parent
  | 'expired'
  | 'not-yet-valid'
  | 'revoked'
  | 'blocked' // from someone the owner blocked
  | 'not-addressed' // a delivery that names nobody this node is for
  | 'unauthenticated' // no credential, or one this node does not know
  | 'rate-limited' // too many attempts; wait and try again
  | 'too-deep'
  | 'wrong-root'
  | 'not-found'
  | 'conflict'
  | 'deleted' // its author deleted it: a tombstone keeps it from coming back (a relay that still had it is not to blame)
  | 'timeout' // a peer or operation did not answer in time
  | 'io'
  | 'storage-full' // the disk holding the store is full: nothing was written; free space and try again
  | 'internal'; // a bug in Kith, not a fault of the input or of whoever sent it

export class KithError extends Error {
  override readonly name = 'KithError';
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export function fail(code: ErrorCode, message: string): never {
  throw new KithError(code, message);
}

/**
 * Refusals that show whoever sent the input misbehaved (a peer that forged,
 * broke or bloated it), as opposed to input it may hold in good faith
 * (revoked, expired, signed under a certificate we lack yet) or our own bug.
 */
export const PEER_FAULTS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'malformed',
  'too-large',
  'bad-signature',
  'bad-encoding',
  'unknown-cryptosuite',
  'forged',
]);

export function isPeerFault(e: unknown): e is KithError {
  return e instanceof KithError && PEER_FAULTS.has(e.code);
}

export function isKithError(e: unknown, code?: ErrorCode): e is KithError {
  return e instanceof KithError && (code === undefined || e.code === code);
}
