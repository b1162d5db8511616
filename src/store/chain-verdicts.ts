import { checkGrantAt, describeLink } from '../core/certificate.js';
import { fail, KithError } from '../core/errors.js';
import type { ApId } from '../core/types.js';
import type { ChainVerdict, RevocationFact } from './authority.js';

/** The capability a key needs to sign objects in someone else's name. */
export const PUBLISH = 'publish';

/** An object arriving now comes after every revocation stored here. */
export const ARRIVING = Infinity;

/**
 * Does one of these stored chains let its key act on `id` at `created`?
 * A revocation of a link voids what the link signed at or after its
 * cut-off, and (a revoked key can claim any time) everything that reached
 * this node after the revocation did: a row after the revocation's, or
 * ARRIVING. Throws the last chain's refusal when none does.
 */
export function checkVerdicts(verdicts: readonly ChainVerdict[], id: ApId, created: number, row: number): void {
  let last: unknown;
  for (const { grant, revocations } of verdicts) {
    try {
      if (grant instanceof KithError) throw grant;
      checkGrantAt(grant, id, created);
      const r = revocations.find((f) => created >= f.cutOff || row > f.row);
      if (r !== undefined) fail('revoked', `${describeLink(grant.links, r.link)}: ${revokedBecause(r, created, row)}`);
      return;
    } catch (e) {
      last = e;
    }
  }
  throw last;
}

function revokedBecause(r: RevocationFact, created: number, row: number): string {
  const by = `${r.issuer} revoked it (${r.id})`;
  if (created >= r.cutOff) {
    return `${by} with a cut-off of ${new Date(r.cutOff).toISOString()}, and this was signed at ${new Date(created).toISOString()}, after it`;
  }
  const when = row === ARRIVING ? 'this arrived after that was known here' : 'this reached this node only after that had';
  return `${by}, and ${when}: a revoked key can claim any time, so nothing new signed with it is taken in (this claims ${new Date(created).toISOString()})`;
}
