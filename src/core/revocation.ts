import { isDigest } from './bytes.js';
import {
  checkHeader,
  checkMembers,
  deepFreeze,
  floorSecond,
  inField,
  isoOf,
  parseIsoSeconds,
  snapshotJson,
  statementId,
  checkStatementId,
  toMs,
  verifySignedBy,
  STATEMENT_CONTEXT,
  type Instant,
  type ParseLimits,
} from './statement.js';
import { didFromPublicKey, parseDid } from './didkey.js';
import type { Ed25519KeyPair } from './ed25519.js';
import { fail } from './errors.js';
import { signDocument } from './proof.js';
import type { ApId, Did, Digest, JsonObject } from './types.js';

/**
 * Revocations: how bans, blocks and lost devices are expressed. One voids a
 * certificate, or every certificate of a subject under a root. Anyone may
 * sign one; verifyChain (and store/authority.ts) decide whether its issuer
 * had the standing to void a given link.
 *
 * A revoked key's signature cannot be trusted for its time: whoever holds the
 * key can claim any. So a revocation works two ways (README, "Removing a
 * device"): wherever it is known, nothing new signed under the revoked link
 * is taken in, whatever time it claims; and what was signed at or after its
 * cut-off (`from`, by the revoker's clock) is void even where it was stored
 * earlier. What a node stored before the revocation reached it, and claims a
 * time before the cut-off, stays.
 */

export const REVOCATION_TYPE = 'KithRevocation';
export const REVOCATION_PROOF_PURPOSE = 'assertionMethod';
const REVOCATION_MEMBERS = new Set(['@context', 'type', 'id', 'issuer', 'certificate', 'subject', 'root', 'from', 'proof']);

/** One certificate by its digest, or every certificate of `subject` in chains under `root`. */
export type RevocationTarget = { readonly certificate: Digest } | { readonly subject: Did; readonly root: Did };

const sealed = Symbol('Revocation');

export class Revocation {
  readonly id: ApId;
  readonly issuer: Did;
  readonly target: RevocationTarget;
  /**
   * The cut-off, in ms since the epoch by the revoker's clock: whatever the
   * revoked link signed at or after it is void, wherever it is stored.
   */
  readonly from: number;
  readonly digest: Digest;
  /** The signed document, deep-frozen. */
  readonly doc: Readonly<JsonObject>;

  /** @internal Use parseRevocation or issueRevocation: a Revocation is always a verified one. */
  constructor(token: symbol, fields: Omit<Revocation, 'toJSON'>) {
    if (token !== sealed) throw new TypeError('a Revocation comes only from parseRevocation or issueRevocation');
    this.id = fields.id;
    this.issuer = fields.issuer;
    this.target = fields.target;
    this.from = fields.from;
    this.digest = fields.digest;
    this.doc = fields.doc;
    Object.freeze(this);
  }

  toJSON(): Readonly<JsonObject> {
    return this.doc;
  }
}

function parseTarget(d: { certificate?: unknown; subject?: unknown; root?: unknown }): RevocationTarget {
  const bySubject = d.subject !== undefined || d.root !== undefined;
  if (d.certificate !== undefined) {
    if (bySubject) fail('malformed', 'a revocation names either a certificate or a subject and root, not both');
    if (!isDigest(d.certificate)) fail('malformed', 'certificate must be the lower-case hex SHA-256 digest of the revoked certificate');
    return Object.freeze({ certificate: d.certificate });
  }
  if (!bySubject) fail('malformed', 'a revocation must name a certificate, or a subject and a root');
  const subject = inField('subject', () => parseDid(d.subject));
  const root = inField('root', () => parseDid(d.root));
  return Object.freeze({ subject, root });
}

export function parseRevocation(input: unknown, limits?: ParseLimits): Revocation {
  const d = snapshotJson(input, limits, 'revocation');
  checkMembers(d, REVOCATION_MEMBERS, 'revocation');
  checkHeader(d, REVOCATION_TYPE, 'revocation');
  const issuer = inField('issuer', () => parseDid(d.issuer));
  const id = checkStatementId(d.id, issuer, 'revocations', 'revocation');
  const target = parseTarget(d);
  const from = parseIsoSeconds(d.from, 'from');
  const digest = verifySignedBy(d, issuer, REVOCATION_PROOF_PURPOSE, 'revocation');
  return new Revocation(sealed, { id, issuer, target, from, digest, doc: deepFreeze(d) });
}

export interface RevocationOptions {
  /** The cut-off; defaults to now. Rounded down to the second, so it never starts late. */
  readonly from?: Instant;
  readonly now?: Instant;
  /** ap://<issuer>/revocations/<uuid v4>; a fresh one by default. */
  readonly id?: string;
}

export function issueRevocation(issuerKey: Ed25519KeyPair, target: RevocationTarget, opts: RevocationOptions = {}): Revocation {
  const issuer = didFromPublicKey(issuerKey.publicKey);
  const now = toMs(opts.now ?? Date.now(), 'now');
  const from = floorSecond(toMs(opts.from ?? now, 'from'));
  const doc: JsonObject = {
    '@context': [...STATEMENT_CONTEXT],
    type: REVOCATION_TYPE,
    id: statementId(issuer, 'revocations', opts.id, 'revocation'),
    issuer,
    ...parseTarget(target),
    from: isoOf(from),
  };
  return parseRevocation(signDocument(doc, issuerKey, { created: isoOf(floorSecond(now)), proofPurpose: REVOCATION_PROOF_PURPOSE }));
}
