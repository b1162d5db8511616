import { parseApId } from './apid.js';
import { isDigest } from './bytes.js';
import { didFromPublicKey, parseDid } from './didkey.js';
import type { Ed25519KeyPair } from './ed25519.js';
import { fail, KithError, type ErrorCode } from './errors.js';
import { signDocument } from './proof.js';
import type { Revocation } from './revocation.js';
import {
  STATEMENT_CONTEXT,
  ceilSecond,
  checkHeader,
  checkMembers,
  checkStatementId,
  deepFreeze,
  floorSecond,
  inField,
  isoOf,
  parseIsoSeconds,
  showDid,
  showTime,
  snapshotJson,
  statementId,
  toMs,
  verifySignedBy,
  type Instant,
  type ParseLimits,
} from './statement.js';
import type { ApId, Did, Digest, JsonObject } from './types.js';

/**
 * Kith's one authority mechanism (DESIGN principle 5): a root key certifies a
 * subject key for some capabilities on some ap:// resources for a time window,
 * and each further link may only narrow what its parent granted. Devices,
 * hosted accounts, forum members and moderators, and follower read access are
 * all chains of these; bans and blocks are revocations (./revocation.ts).
 *
 * A `Certificate` value is proof of a good signature and a well-formed body:
 * only parseCertificate and issueCertificate can make one. Whether it grants
 * anything is for verifyChain to say, since that depends on the root, the
 * time and the revocations known.
 */

export const CERTIFICATE_TYPE = 'KithCertificate';
/** Certificates delegate authority, so they are signed for that purpose and cannot pass as ordinary assertions. */
export const CERTIFICATE_PROOF_PURPOSE = 'capabilityDelegation';
/**
 * Holding a capability lets a key use it; passing it on takes this one too.
 * Without it, a forum member could admit anyone and a follower could hand out read access.
 */
export const DELEGATE = 'delegate';

export const DEFAULT_MAX_DEPTH = 8;
export const MAX_CAPABILITIES = 32;
export const MAX_CAPABILITY_LENGTH = 128;
export const MAX_RESOURCE_LENGTH = 1024;

const CAPABILITY_RE = /^[a-z][a-z0-9-]*(:[a-z0-9-]+)*$/;
const CERTIFICATE_MEMBERS = new Set(['@context', 'type', 'id', 'issuer', 'subject', 'capability', 'resource', 'notBefore', 'expires', 'parent', 'proof']);

// ---- Capabilities and resources ----

/** Capability `granted` covers `requested` if equal, or if `requested` is below it (`post` covers `post:reply`). */
export function capabilityCovers(granted: string, requested: string): boolean {
  return requested === granted || requested.startsWith(`${granted}:`);
}

export function capabilitiesCover(granted: readonly string[], requested: string): boolean {
  return granted.some((g) => capabilityCovers(g, requested));
}

/** Resource R covers R and everything under `R/`; both must be canonical ids without query or fragment. */
export function resourceCovers(granted: ApId, requested: ApId): boolean {
  return requested === granted || requested.startsWith(`${granted}/`);
}

export function checkCapability(c: unknown, field: string): string {
  if (typeof c !== 'string') return fail('malformed', `${field} must be a string`);
  if (c.length > MAX_CAPABILITY_LENGTH) fail('too-large', `${field} is longer than ${MAX_CAPABILITY_LENGTH} characters`);
  if (!CAPABILITY_RE.test(c)) {
    fail('malformed', `${field} "${c.slice(0, 40)}" must be lower-case words joined by ":", like "forum:post"`);
  }
  return c;
}

function parseCapabilities(v: unknown): readonly string[] {
  if (!Array.isArray(v)) return fail('malformed', 'capability must be an array of strings');
  if (v.length === 0) fail('malformed', 'capability must grant at least one capability');
  if (v.length > MAX_CAPABILITIES) fail('too-large', `capability lists ${v.length} entries; at most ${MAX_CAPABILITIES} are allowed`);
  const out: string[] = [];
  for (const [i, c] of v.entries()) {
    out.push(checkCapability(c, `capability[${i}]`));
    // Sorted and unique, so one grant has one signed form.
    if (i > 0 && !(out[i - 1]! < out[i]!)) fail('malformed', 'capability entries must be unique and sorted');
  }
  return Object.freeze(out);
}

/** The canonical, query- and fragment-free form a grant is stated in; refuses what cannot be granted. */
function grantableResource(v: unknown): ApId {
  if (typeof v !== 'string') return fail('malformed', 'resource must be an ap:// id');
  if (v.length > MAX_RESOURCE_LENGTH) fail('too-large', `resource is longer than ${MAX_RESOURCE_LENGTH} characters`);
  const p = parseApId(v);
  if (p.query !== undefined || p.fragment !== undefined) fail('malformed', 'resource must have no ?query or #fragment');
  if (p.path.endsWith('/')) {
    fail('malformed', `resource must not end in "/" (a resource already covers everything under it): "${v.slice(0, 80)}"`);
  }
  return `ap://${p.did}${p.path}` as ApId;
}

/** What is being acted on, reduced to the part a grant speaks about: the query is a hint, a fragment a part of the same document. */
function requestedResource(v: unknown): ApId {
  const p = inField('requested resource', () => parseApId(v));
  return `ap://${p.did}${p.path}` as ApId;
}

// ---- Certificates ----

const sealed = Symbol('Certificate');

interface Grant {
  readonly issuer: Did;
  readonly subject: Did;
  readonly capability: readonly string[];
  readonly resource: ApId;
  readonly notBefore: number;
  readonly expires: number;
}

export class Certificate implements Grant {
  readonly id: ApId;
  readonly issuer: Did;
  readonly subject: Did;
  /** Sorted, unique, non-empty. */
  readonly capability: readonly string[];
  readonly resource: ApId;
  /** The window [notBefore, expires) in ms since the epoch. */
  readonly notBefore: number;
  readonly expires: number;
  /** Digest of the parent certificate; absent on a chain's first link. */
  readonly parent: Digest | undefined;
  /** SHA-256 of the JCS of the signed document: how children and revocations name it. */
  readonly digest: Digest;
  /** The signed document, deep-frozen: store and send this. */
  readonly doc: Readonly<JsonObject>;

  /** @internal Use parseCertificate or issueCertificate: a Certificate is always a verified one. */
  constructor(token: symbol, fields: Omit<Certificate, 'toJSON'>) {
    if (token !== sealed) throw new TypeError('a Certificate comes only from parseCertificate or issueCertificate');
    this.id = fields.id;
    this.issuer = fields.issuer;
    this.subject = fields.subject;
    this.capability = fields.capability;
    this.resource = fields.resource;
    this.notBefore = fields.notBefore;
    this.expires = fields.expires;
    this.parent = fields.parent;
    this.digest = fields.digest;
    this.doc = fields.doc;
    Object.freeze(this);
  }

  toJSON(): Readonly<JsonObject> {
    return this.doc;
  }
}

/**
 * Checks a certificate strictly (shape, sizes, times, canonical resource) and
 * verifies that its issuer signed it. Says nothing about whether it grants
 * anything: that is verifyChain's question.
 */
export function parseCertificate(input: unknown, limits?: ParseLimits): Certificate {
  const d = snapshotJson(input, limits, 'certificate');
  return certificateOf(d, (issuer) => verifySignedBy(d, issuer, CERTIFICATE_PROOF_PURPOSE, 'certificate'));
}

/** A certificate our store verified in full when storing it under `digest`: its shape is checked again, its signature not (a chain check reads up to 64). */
export function storedCertificate(input: unknown, digest: Digest): Certificate {
  return certificateOf(snapshotJson(input, undefined, 'certificate'), () => digest);
}

function certificateOf(d: JsonObject, signed: (issuer: Did) => Digest): Certificate {
  checkMembers(d, CERTIFICATE_MEMBERS, 'certificate');
  checkHeader(d, CERTIFICATE_TYPE, 'certificate');
  const issuer = inField('issuer', () => parseDid(d.issuer));
  const subject = inField('subject', () => parseDid(d.subject));
  if (subject === issuer) fail('malformed', 'a certificate must certify a key other than its issuer');
  const id = checkStatementId(d.id, issuer, 'certs', 'certificate');
  const capability = parseCapabilities(d.capability);
  const resource = inField('resource', () => grantableResource(d.resource));
  if (resource !== d.resource) fail('malformed', `resource is not in canonical form; write it as "${resource}"`);
  const notBefore = parseIsoSeconds(d.notBefore, 'notBefore');
  const expires = parseIsoSeconds(d.expires, 'expires');
  if (expires <= notBefore) fail('malformed', `expires (${d.expires}) must be after notBefore (${d.notBefore})`);
  let parent: Digest | undefined;
  if (d.parent !== undefined) {
    if (!isDigest(d.parent)) fail('malformed', 'parent must be the lower-case hex SHA-256 digest of the parent certificate');
    parent = d.parent;
  } else if (parseApId(resource).did !== issuer) {
    // A root's authority is its own namespace; anything wider is a grant it never had.
    fail('widened', `a first-link certificate may only grant over its issuer's own ap:// ids, not ${resource}`);
  }
  const digest = signed(issuer);
  return new Certificate(sealed, { id, issuer, subject, capability, resource, notBefore, expires, parent, digest, doc: deepFreeze(d) });
}

export interface CertificateRequest {
  readonly subject: Did;
  /** Order and duplicates do not matter; the signed form is sorted and unique. */
  readonly capability: string | readonly string[];
  /** The ap:// id (and everything under it) the grant applies to. */
  readonly resource: string;
  /** Defaults to now, or the parent's notBefore if that is later. Rounded up to the second. */
  readonly notBefore?: Instant;
  /** Rounded down to the second. */
  readonly expires: Instant;
  /** The certificate that certified the issuing key; absent when the issuer is the root. */
  readonly parent?: Certificate;
}

export interface IssueOptions {
  /** The clock, for defaults and the proof's `created`. */
  readonly now?: Instant;
  /** ap://<issuer>/certs/<uuid v4>; a fresh one by default. */
  readonly id?: string;
}

const describe = (label: string, g: Grant): string => `${label} (${showDid(g.issuer)} → ${showDid(g.subject)})`;
const showWindow = (g: Grant): string => `${isoOf(g.notBefore)} to ${isoOf(g.expires)}`;

/** Is `child` a grant that `parent`'s subject could make? Shared by issuing and verifying so both agree. */
function checkAttenuation(parent: Grant, parentLabel: string, child: Grant, childLabel: string): void {
  if (child.issuer !== parent.subject) {
    const certified = showDid(parent.subject);
    fail('forged', `${describe(childLabel, child)} is issued by a key other than the one ${parentLabel} certifies (${certified})`);
  }
  if (!capabilitiesCover(parent.capability, DELEGATE)) {
    fail(
      'unauthorized',
      `${describe(childLabel, child)}: ${parentLabel} does not grant "${DELEGATE}", ` +
        `so ${showDid(parent.subject)} may use its capabilities but not pass them on`,
    );
  }
  for (const c of child.capability) {
    if (!capabilitiesCover(parent.capability, c)) {
      const held = parent.capability.join(', ');
      fail('widened', `${describe(childLabel, child)} grants "${c}", which ${parentLabel} does not (it grants ${held})`);
    }
  }
  if (!resourceCovers(parent.resource, child.resource)) {
    fail('widened', `${describe(childLabel, child)} applies to ${child.resource}, outside ${parentLabel}'s ${parent.resource}`);
  }
  if (child.notBefore < parent.notBefore || child.expires > parent.expires) {
    fail('widened', `${describe(childLabel, child)} is valid ${showWindow(child)}, outside ${parentLabel}'s ${showWindow(parent)}`);
  }
}

/** Signs a certificate; refuses one that would be invalid against its own parent or already expired. */
export function issueCertificate(issuerKey: Ed25519KeyPair, request: CertificateRequest, opts: IssueOptions = {}): Certificate {
  const issuer = didFromPublicKey(issuerKey.publicKey);
  const now = toMs(opts.now ?? Date.now(), 'now');
  const subject = inField('subject', () => parseDid(request.subject));
  const requested = typeof request.capability === 'string' ? [request.capability] : request.capability;
  const capability = [...new Set(requested.map((c, i) => checkCapability(c, `capability[${i}]`)))].sort();
  const resource = inField('resource', () => grantableResource(request.resource));
  const { parent } = request;
  if (parent !== undefined && !(parent instanceof Certificate)) {
    fail('malformed', 'parent must be a Certificate from parseCertificate or issueCertificate');
  }
  const notBefore =
    request.notBefore === undefined ? Math.max(floorSecond(now), parent?.notBefore ?? -Infinity) : ceilSecond(toMs(request.notBefore, 'notBefore'));
  const expires = floorSecond(toMs(request.expires, 'expires'));
  if (expires <= notBefore) fail('malformed', `expires (${isoOf(expires)}) must be after notBefore (${isoOf(notBefore)})`);
  if (expires <= now) fail('expired', `the certificate would already have expired (${isoOf(expires)}; now is ${showTime(now)})`);
  if (parent !== undefined) {
    checkAttenuation(parent, 'its parent', { issuer, subject, capability, resource, notBefore, expires }, 'the new certificate');
  }
  const doc: JsonObject = {
    '@context': [...STATEMENT_CONTEXT],
    type: CERTIFICATE_TYPE,
    id: statementId(issuer, 'certs', opts.id, 'certificate'),
    issuer,
    subject,
    capability,
    resource,
    notBefore: isoOf(notBefore),
    expires: isoOf(expires),
  };
  if (parent !== undefined) doc.parent = parent.digest;
  return parseCertificate(signDocument(doc, issuerKey, { created: isoOf(floorSecond(now)), proofPurpose: CERTIFICATE_PROOF_PURPOSE }));
}

// ---- Chains ----

/** What a chain is asked to prove, apart from the resource, the time and the revocations. */
export interface ChainShape {
  /** The key whose authority is in question: a person, a forum owner, a node owner. */
  readonly root: Did;
  /** Root first. Raw JSON links are parsed here, and a bad signature on one counts as forged. */
  readonly chain: readonly (Certificate | JsonObject)[];
  /** The key that acts; the last link must certify it. */
  readonly actor: Did;
  readonly capability: string;
  readonly maxDepth?: number;
  /** For raw links. */
  readonly limits?: ParseLimits;
}

export interface ChainQuery extends ChainShape {
  /** The ap:// id acted on. Its query and fragment are ignored. */
  readonly resource: string;
  /** When the act happens, in ms; defaults to now. */
  readonly at?: number;
  /** All revocations known; only those made by a key at or above a link count against it. */
  readonly revocations?: Iterable<Revocation>;
}

/** What a chain grants its actor, whatever the time: checkChain's answer. */
export interface ChainGrant {
  readonly root: Did;
  readonly actor: Did;
  /** What was asked and is granted. */
  readonly capability: string;
  /** Everything the actor holds through this chain: 'all' when the actor is the root, acting on its own ids. */
  readonly grantedCapabilities: readonly string[] | 'all';
  readonly grantedResource: ApId;
  /** The window in which every link holds; ±Infinity for the root itself. Revocations can end it sooner. */
  readonly notBefore: number;
  readonly expires: number;
  readonly links: readonly Certificate[];
}

export interface VerifiedChain extends ChainGrant {
  /** What was acted on, as proven. */
  readonly resource: ApId;
}

function linkOf(c: Certificate | JsonObject, i: number, limits: ParseLimits | undefined): Certificate {
  if (c instanceof Certificate) return c;
  try {
    return parseCertificate(c, limits);
  } catch (e) {
    if (!(e instanceof KithError)) throw e;
    const code: ErrorCode = e.code === 'bad-signature' || e.code === 'wrong-key' ? 'forged' : e.code;
    throw new KithError(code, `link ${i}: ${e.message}`);
  }
}

interface Asked {
  readonly root: Did;
  readonly actor: Did;
  readonly capability: string;
  readonly maxDepth: number;
}

function askedOf(query: ChainShape): Asked {
  const maxDepth = query.maxDepth ?? DEFAULT_MAX_DEPTH;
  if (!Number.isInteger(maxDepth) || maxDepth < 0) fail('malformed', 'maxDepth must be a whole number, 0 or more');
  const root = inField('root', () => parseDid(query.root));
  const actor = inField('actor', () => parseDid(query.actor));
  const capability = checkCapability(query.capability, 'requested capability');
  return { root, actor, capability, maxDepth };
}

function grantOf(asked: Asked, chain: ChainShape['chain'], limits: ParseLimits | undefined): ChainGrant {
  const { root, actor, capability, maxDepth } = asked;
  // Before parsing anything, so a long chain costs nothing.
  if (chain.length > maxDepth) fail('too-deep', `the chain has ${chain.length} links; at most ${maxDepth} are accepted here`);

  if (chain.length === 0) {
    if (actor !== root) {
      fail('wrong-root', `${showDid(actor)} shows no certificate, so it can act only if it is the root, ${showDid(root)}`);
    }
    const everything = `ap://${root}` as ApId;
    return { root, actor, capability, grantedCapabilities: 'all', grantedResource: everything, notBefore: -Infinity, expires: Infinity, links: [] };
  }

  const links = chain.map((c, i) => linkOf(c, i, limits));
  const first = links[0]!;
  if (first.issuer !== root) {
    fail('wrong-root', `link 0 is issued by ${showDid(first.issuer)}, but the chain must start at the root ${showDid(root)}`);
  }
  if (first.parent !== undefined) fail('forged', 'link 0 names a parent certificate, but the root issues the first link directly');
  for (let i = 1; i < links.length; i++) {
    const link = links[i]!;
    const prev = links[i - 1]!;
    if (link.parent !== prev.digest) {
      const named = link.parent === undefined ? 'no parent' : `parent ${link.parent.slice(0, 12)}…`;
      fail('forged', `${describe(`link ${i}`, link)} names ${named}, but link ${i - 1} is ${prev.digest.slice(0, 12)}…`);
    }
    checkAttenuation(prev, `link ${i - 1}`, link, `link ${i}`);
  }

  const lastIndex = links.length - 1;
  const last = links[lastIndex]!;
  if (last.subject !== actor) fail('unauthorized', `the chain ends at ${showDid(last.subject)}, not at the actor ${showDid(actor)}`);
  if (!capabilitiesCover(last.capability, capability)) {
    fail('unauthorized', `${describe(`link ${lastIndex}`, last)} grants ${last.capability.join(', ')}, not "${capability}"`);
  }
  return {
    root,
    actor,
    capability,
    grantedCapabilities: last.capability,
    grantedResource: last.resource,
    notBefore: last.notBefore,
    expires: last.expires,
    links,
  };
}

/**
 * Does `chain` let `actor` use `capability` under `root` at all? Checks every
 * link's signature, order and attenuation, but neither the resource, the time
 * nor revocations: what it returns can be kept and asked again with
 * checkGrantAt for each act (see store/authority.ts). Throws a KithError like
 * verifyChain's.
 */
export function checkChain(query: ChainShape): ChainGrant {
  return grantOf(askedOf(query), query.chain, query.limits);
}

/** Does a grant cover `resource` at time `at`? Throws unauthorized, not-yet-valid or expired, naming the link. */
export function checkGrantAt(grant: ChainGrant, resource: string, at: number): ApId {
  const wanted = requestedResource(resource);
  const { links, root } = grant;
  if (links.length === 0) {
    if (parseApId(wanted).did !== root) fail('unauthorized', `${showDid(root)} acts for itself only on its own ap:// ids, not on ${wanted}`);
    return wanted;
  }
  const lastIndex = links.length - 1;
  const last = links[lastIndex]!;
  if (!resourceCovers(last.resource, wanted)) {
    fail('unauthorized', `${describe(`link ${lastIndex}`, last)} applies to ${last.resource}, which does not include ${wanted}`);
  }
  for (const [i, link] of links.entries()) {
    const name = describe(`link ${i}`, link);
    if (at < link.notBefore) fail('not-yet-valid', `${name} is not valid until ${isoOf(link.notBefore)}; checked at ${showTime(at)}`);
    if (at >= link.expires) fail('expired', `${name} expired at ${isoOf(link.expires)}; checked at ${showTime(at)}`);
  }
  return wanted;
}

/**
 * Does `chain` prove that `root` lets `actor` use `capability` on `resource`
 * at time `at`? Returns what was proven or throws a KithError whose code says
 * what is wrong (forged, widened, wrong-root, unauthorized, expired,
 * not-yet-valid, revoked, too-deep) and whose message names the link.
 */
export function verifyChain(query: ChainQuery): VerifiedChain {
  const at = query.at ?? Date.now();
  if (!Number.isFinite(at)) fail('malformed', 'at must be a finite time in ms');
  const asked = askedOf(query);
  requestedResource(query.resource);
  const grant = grantOf(asked, query.chain, query.limits);
  const resource = checkGrantAt(grant, query.resource, at);
  if (grant.links.length > 0) checkRevocations(grant.root, grant.links, at, query.revocations ?? []);
  return { ...grant, resource };
}

/**
 * The keys whose revocations count against each link: its issuer and every
 * key above it, never keys it (or its descendants) certified. A chain's
 * holders cannot free themselves of a revocation, and a stranger cannot void
 * what it never granted.
 */
export function revokersOf(root: Did, links: readonly Certificate[]): readonly (readonly Did[])[] {
  const above: Did[] = [root];
  return links.map((link) => {
    const now = [...above];
    above.push(link.subject);
    return now;
  });
}

/** Does this revocation, by its target alone, name this link of a chain under `root`? */
export function revocationNames(r: Revocation, root: Did, link: Certificate): boolean {
  const t = r.target;
  return 'certificate' in t ? t.certificate === link.digest : t.root === root && t.subject === link.subject;
}

function checkRevocations(root: Did, links: readonly Certificate[], at: number, revocations: Iterable<Revocation>): void {
  const inForce = [...revocations].filter((r) => at >= r.from);
  if (inForce.length === 0) return;
  const revokers = revokersOf(root, links);
  for (const [i, link] of links.entries()) {
    const r = inForce.find((c) => revocationNames(c, root, link) && revokers[i]!.includes(c.issuer));
    if (r !== undefined) {
      const what = 'certificate' in r.target ? 'this certificate' : `every certificate of ${showDid(link.subject)} under this root`;
      const by = showDid(r.issuer);
      fail('revoked', `${describe(`link ${i}`, link)}: ${by} revoked ${what} from ${isoOf(r.from)} (${r.id}); checked at ${showTime(at)}`);
    }
  }
}

/** A link as messages name it: its place in the chain, its issuer and its subject. */
export function describeLink(links: readonly Certificate[], i: number): string {
  return describe(`link ${i}`, links[i]!);
}
