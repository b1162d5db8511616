import { fail } from './errors.js';
import { actorId } from './apid.js';
import { INBOX_CARRIED } from './constants.js';
import { parseCertificate, type Certificate } from './certificate.js';
import { parseRevocation, type Revocation } from './revocation.js';
import { examine, type Examined } from './examine.js';
import { byteLength, type Limits } from './limits.js';
import type { Did, Json } from './types.js';

/**
 * What a delivery may carry beside its activity, so that a node which does
 * not follow the sender can check the activity and name its sender: the
 * sender's actor document and, for an activity signed by one of the sender's
 * device keys (FEP-ae97), the certificates from the sender to that key and
 * the revocations the sender holds of them. Nothing else: another person's
 * actor, a certificate that is no link of that chain, a revocation of
 * something else are each refused (wrong-key), whole, before anything is
 * stored. Checked here as far as needs no store (shape, size, proofs, whose
 * each is); ingest then checks each like any object.
 */

export interface CarriedCheck {
  /** Whose the activity is (its id says so). */
  readonly owner: Did;
  /** The key that signed it (its proof says so). */
  readonly signer: Did;
}

const NOT_OWN = 'a delivery carries only its sender\u2019s own actor document and the certificates (and their revocations) of the key that signed it';

/** The carried documents, examined, certificates first (root first), then revocations, then the actor. Throws on anything that is not the sender's own. */
export function checkCarried(carried: Json | undefined, of: CarriedCheck, limits: Limits): Examined[] {
  if (carried === undefined) return [];
  if (!Array.isArray(carried)) return fail('malformed', 'what a delivery carries is a list of signed documents');
  if (carried.length > INBOX_CARRIED.MAX_DOCUMENTS) {
    fail('too-large', `a delivery carries at most ${INBOX_CARRIED.MAX_DOCUMENTS} documents, not ${carried.length}`);
  }
  const size = byteLength(JSON.stringify(carried));
  if (size > INBOX_CARRIED.MAX_BYTES) fail('too-large', `what a delivery carries is ${size} bytes; the limit is ${INBOX_CARRIED.MAX_BYTES}`);
  const certificates: { cert: Certificate; e: Examined }[] = [];
  const revocations: { rev: Revocation; e: Examined }[] = [];
  const actors: Examined[] = [];
  for (const doc of carried) {
    const e = examine(doc, limits);
    if (e.kind === 'object') {
      if (e.record.id !== actorId(of.owner)) fail('wrong-key', `the delivery from ${of.owner} carries ${e.record.id.slice(0, 120)}: ${NOT_OWN}`);
      if (actors.length > 0) fail('malformed', 'a delivery carries its sender\u2019s actor document once');
      actors.push(e);
    } else if (e.doc.type === 'KithCertificate') certificates.push({ cert: parseCertificate(e.doc), e });
    else revocations.push({ rev: parseRevocation(e.doc), e });
  }
  const chain = chainOf(
    certificates.map((c) => c.cert),
    of,
  );
  const links = new Set(chain.map((c) => c.digest));
  const subjects = new Set(chain.map((c) => c.subject));
  for (const { rev } of revocations) {
    const t = rev.target;
    const named = 'certificate' in t ? links.has(t.certificate) : subjects.has(t.subject) && t.root === of.owner;
    if (!named) fail('wrong-key', `the delivery from ${of.owner} carries a revocation (${rev.id.slice(0, 120)}) of no certificate it carries: ${NOT_OWN}`);
  }
  const byDigest = new Map(certificates.map((c) => [c.cert.digest, c.e]));
  return [...chain.map((c) => byDigest.get(c.digest)!), ...revocations.map((r) => r.e), ...actors];
}

/**
 * The carried certificates as the chain from the owner to the signing key,
 * root first; every one of them must be a link of it, each for the owner's
 * own ids.
 */
function chainOf(certificates: readonly Certificate[], of: CarriedCheck): Certificate[] {
  const chain: Certificate[] = [];
  let key = of.signer;
  while (key !== of.owner && chain.length < certificates.length) {
    const link = certificates.find((c) => c.subject === key && !chain.includes(c));
    if (link === undefined) break;
    chain.unshift(link);
    key = link.issuer;
  }
  for (const c of certificates) {
    if (!chain.includes(c)) {
      fail(
        'wrong-key',
        `the delivery from ${of.owner} carries a certificate of ${c.subject} by ${c.issuer}, which is no link from ${of.owner} to ${of.signer}: ${NOT_OWN}`,
      );
    }
    const own = `ap://${of.owner}`;
    if (c.resource !== own && !c.resource.startsWith(`${own}/`)) {
      fail('wrong-key', `the delivery from ${of.owner} carries a certificate for ${c.resource}, not for ${own}: ${NOT_OWN}`);
    }
  }
  if (chain.length > 0 && chain[0]!.issuer !== of.owner) {
    fail('wrong-key', `the certificates the delivery carries start at ${chain[0]!.issuer}, not at its sender ${of.owner}: ${NOT_OWN}`);
  }
  return chain;
}
