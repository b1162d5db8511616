import { actorId } from './apid.js';
import { ACTOR_TYPES } from './as2.js';
import { capabilitiesCover, parseCertificate, type Certificate } from './certificate.js';
import { fail, KithError } from './errors.js';
import { showDid } from './statement.js';
import { isJsonObject, type Did, type JsonObject } from './types.js';

/**
 * A node vouching for an account it hosts (DESIGN: hosted account). The
 * node's root (its owner's key) certifies the person's own key with
 * ACCOUNT_HOSTED over the root's actor id; the person's actor document
 * carries that certificate under ACCOUNT_MEMBER. Both halves are needed: a
 * root certifying a stranger who never took it up vouches for nobody, so a
 * rogue root cannot get self-rooted people muted by those who block it.
 */

/** The capability of an account certificate: "this root hosts and answers for this key". */
export const ACCOUNT_HOSTED = 'account:hosted';
/** Where an actor document carries the account certificate of the node that hosts it. */
export const ACCOUNT_MEMBER = 'kithAccount';

/** The account certificate an actor document carries, checked against the actor it is in; undefined when it carries none. */
export function accountCertificateOf(actor: Readonly<JsonObject>, owner: Did): Certificate | undefined {
  const member = actor[ACCOUNT_MEMBER];
  if (member === undefined) return undefined;
  if (typeof actor.type !== 'string' || !ACTOR_TYPES.has(actor.type) || actor.id !== actorId(owner)) {
    fail('malformed', `only an actor document may carry "${ACCOUNT_MEMBER}", the certificate of the node that hosts it`);
  }
  if (!isJsonObject(member) || !isJsonObject(member.certificate)) {
    fail('malformed', `"${ACCOUNT_MEMBER}" must be {"certificate": <the hosting node's account certificate>}`);
  }
  let cert: Certificate;
  try {
    cert = parseCertificate(member.certificate);
  } catch (e) {
    if (!(e instanceof KithError)) throw e;
    const code = e.code === 'bad-signature' || e.code === 'wrong-key' ? 'forged' : e.code;
    throw new KithError(code, `the account certificate this actor carries: ${e.message}`);
  }
  checkAccountCertificate(cert, owner);
  return cert;
}

/** Is this a root's account certificate for `subject`? Throws the reason it is not. */
export function checkAccountCertificate(cert: Certificate, subject: Did): void {
  const what = `the account certificate from ${showDid(cert.issuer)}`;
  if (cert.subject !== subject) fail('wrong-key', `${what} certifies ${showDid(cert.subject)}, not ${showDid(subject)} whose actor carries it`);
  if (cert.parent !== undefined) fail('forged', `${what} names a parent: a node's root vouches for its accounts directly`);
  if (!capabilitiesCover(cert.capability, ACCOUNT_HOSTED)) {
    fail('unauthorized', `${what} grants ${cert.capability.join(', ')}, not "${ACCOUNT_HOSTED}"`);
  }
  if (cert.resource !== actorId(cert.issuer)) fail('unauthorized', `${what} is over ${cert.resource}, not the root's actor ${actorId(cert.issuer)}`);
}
