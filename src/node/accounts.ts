import { actorId, outboxId } from '../core/apid.js';
import { ACCOUNT_MEMBER } from '../core/account-vouch.js';
import { buildCreate, buildNote, isoNow } from '../core/as2.js';
import { ACCOUNT_CERTIFICATE_LIFETIME_MS, ACCOUNT_CERTIFICATE_RENEW_BEFORE_MS, ACCOUNT_PUBLISH_RENEW_BEFORE_MS } from '../core/constants.js';
import type { Ed25519KeyPair } from '../core/ed25519.js';
import { fail, KithError } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { postAddressing } from '../core/post-text.js';
import { signDocument } from '../core/proof.js';
import { parseRevocation } from '../core/revocation.js';
import { isoOf, showDid } from '../core/statement.js';
import { isJsonObject, type Did, type Digest, type JsonObject } from '../core/types.js';
import type { Device } from '../store/devices.js';
import type { HostedAccount } from '../store/hosted-accounts.js';
import { readKeyFile } from '../store/keyfile.js';
import { PUBLISH } from '../store/ingest.js';
import type { Page, StoredObject } from '../store/objects.js';
import { AccountPairing, checkPublishCertificate, DELEGATE_KEY_ROLE, type AccountOffer, type AccountTerms } from './account-pairing.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';
import { personOf } from './people.js';
import { postFields, type Posted, type PostInput } from './publishing.js';

/**
 * Accounts this node hosts for other people (a household on one phone, a
 * friend without a node): taking them on (./account-pairing.ts), and what
 * their device does through the owner API with its own session, confined to
 * its account: post, read its posts and its home timeline, follow, renew or
 * revoke the node's right to post for it. Their scopes are kept and served
 * like the owner's (KithNode.scopes). Not a multi-tenant node: the owner's
 * settings, media and notifications stay the owner's.
 */

export interface AccountStatus {
  readonly did: Did;
  readonly name: string;
  /** The node root that vouches for the account: this node's owner. */
  readonly root: Did;
  /** The key this node posts for the account with. */
  readonly delegate: Did;
  /** When the account's publish certificate for that key runs out (ISO 8601). */
  readonly publishExpires: string;
  /** True when the device should sign a new publish certificate (PUT /api/account/publish-certificate). */
  readonly renew: boolean;
  /** True once the account revoked the node's publish certificate: the node can post for it no more (until it signs a new one). */
  readonly revoked: boolean;
  readonly removed: string | null;
}

export class HostedAccounts {
  readonly pairing: AccountPairing;
  private readonly keys = new Map<Did, Ed25519KeyPair>();
  /** Told when an account's publish certificate changed (renewed or revoked), after it is stored: its forums carry the news (./account-forums.ts). */
  onPublishChanged: ((a: HostedAccount) => Promise<void>) | undefined;

  constructor(
    private readonly node: KithNode,
    private readonly link: NetworkLink,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    this.pairing = new AccountPairing(node, now);
  }

  /** A code that pairs one person's device as a new account (`kith account add`). */
  offer(name: string, baseUrl: string): AccountOffer {
    return this.pairing.offer(name, baseUrl);
  }

  claim(req: { code: unknown; publicKey: unknown; signature: unknown }, client: string): AccountTerms {
    return this.pairing.claim(req, client);
  }

  /** Finishes pairing; the account's scope is kept and served from now on, and its certificates and actor are pushed. */
  async pair(
    req: { code: unknown; publicKey: unknown; signature: unknown; certificate: unknown },
    client: string,
  ): Promise<{ account: AccountStatus; device: Device; token: string }> {
    const r = this.pairing.pair(req, client);
    // Nothing of a new account is held anywhere yet: listening to its scope is what matters; the sync may run on.
    this.link.current
      ?.keepScope(outboxId(r.account.did))
      .catch((e: unknown) => this.log.info(`the first sync of hosted account ${showDid(r.account.did)} failed: ${reasonOf(e)}`));
    for (const digest of r.stored) await this.link.push(digest);
    return { account: this.status(r.account), device: r.device, token: r.token };
  }

  list(): AccountStatus[] {
    return this.node.store.hostedAccounts.list().map((a) => this.status(a));
  }

  /**
   * Stops hosting an account: this node's root revokes its account
   * certificate (the revocation is pushed), its device is refused, and the
   * node posts for it no more. The person keeps their key and what they
   * posted; they can sign a new actor document elsewhere.
   */
  async remove(target: string): Promise<AccountStatus> {
    const did = personOf(target);
    const a = this.node.store.hostedAccounts.get(did);
    if (!a) return fail('not-found', `this node hosts no account ${showDid(did)} (see: kith account list)`);
    if (a.removed !== null) fail('conflict', `${a.name} was already removed on ${isoOf(a.removed)}`);
    const now = this.now();
    const leaving = this.actorWithoutVouch(a);
    const revocation = this.node.revokeCertificate(a.accountCertificate);
    const device = this.node.store.devices.byDid(did);
    if (device) this.node.store.devices.revoke(device.id, now);
    this.node.store.hostedAccounts.remove(did, now);
    this.keys.delete(did);
    await this.link.push(revocation.digest);
    if (leaving !== undefined) await this.link.push(leaving);
    this.link.current?.dropScope(outboxId(did));
    return this.status(this.node.store.hostedAccounts.get(did)!);
  }

  /** The account a session's device acts as; refuses the owner's devices and removed accounts. */
  accountOf(device: Device): HostedAccount {
    if (device.account !== 1) return fail('unauthorized', "this is a device of the node's owner, not of a hosted account");
    const a = this.node.store.hostedAccounts.get(device.did);
    if (!a || a.removed !== null) return fail('revoked', 'this node no longer hosts this account');
    return a;
  }

  status(a: HostedAccount): AccountStatus {
    return {
      did: a.did,
      name: a.name,
      root: this.node.did,
      delegate: a.delegate,
      publishExpires: isoOf(a.publishExpires),
      renew: a.removed === null && a.publishExpires - this.now() <= ACCOUNT_PUBLISH_RENEW_BEFORE_MS,
      revoked: this.publishRevoked(a),
      removed: a.removed === null ? null : isoOf(a.removed),
    };
  }

  /** Whether a revocation by the account voids the publish certificate the node holds (of that certificate, or of every one for the node's key). */
  private publishRevoked(a: HostedAccount): boolean {
    // The certificate is one link, from the account to the node's key (account-pairing.ts).
    return this.node.store.authority
      .verdictsFor(a.delegate, a.did, PUBLISH, 1)
      .some(({ grant, revocations }) => !(grant instanceof KithError) && grant.links.at(-1)?.digest === a.publishCertificate && revocations.length > 0);
  }

  /**
   * The account's device checks in (GET /api/account): the node's root
   * vouches anew for an account whose certificate nears its end, so a person
   * who keeps using their account stays vouched for (and their device paired).
   */
  async checkIn(a: HostedAccount): Promise<AccountStatus> {
    await this.revouchIfDue(a);
    return this.status(this.node.store.hostedAccounts.get(a.did)!);
  }

  private async revouchIfDue(a: HostedAccount): Promise<void> {
    const device = this.node.store.devices.byDid(a.did);
    const now = this.now();
    if (!device || device.expires - now > ACCOUNT_CERTIFICATE_RENEW_BEFORE_MS) return;
    const vouch = this.node.certifyAccount(a.did, now + ACCOUNT_CERTIFICATE_LIFETIME_MS);
    const actor = this.revisedActor(a, (doc) => ({ ...doc, [ACCOUNT_MEMBER]: { certificate: vouch.doc } }), 'the renewed vouch');
    this.node.store.hostedAccounts.revouch(a.did, vouch.digest);
    this.node.store.devices.recertify(device.id, vouch.digest, vouch.expires);
    await this.link.push(vouch.digest);
    if (actor !== undefined) await this.link.push(actor);
  }

  /** Signs a post for the account with the node's delegate key; ingest refuses it if the account revoked that key or let it expire. */
  async post(a: HostedAccount, input: PostInput): Promise<Posted> {
    await this.revouchIfDue(a);
    const { mentioned, tag = [], ...note } = postFields(input);
    const built = buildNote(a.did, { ...note, ...postAddressing(a.did, tag, mentioned, note.inReplyTo) });
    const r = this.node.ingest(signDocument(buildCreate(a.did, built), this.delegateKey(a)));
    return { ...r, noteId: String(built.id), pushedTo: await this.link.push(r.digest) };
  }

  /** The account's own posts, newest first. */
  posts(a: HostedAccount, page: Page): StoredObject[] {
    return this.node.store.objects.outboxPage(outboxId(a.did), page);
  }

  /** The account's posts and those of everyone it follows, newest first. */
  timeline(a: HostedAccount, page: Page): StoredObject[] {
    return this.node.store.hostedAccounts.timeline(a.did, page);
  }

  /** The account follows someone: this node keeps their scope (and fetches it now, when the network is up). */
  async follow(a: HostedAccount, target: string): Promise<{ did: Did; added: boolean }> {
    const did = personOf(target);
    if (did === a.did) fail('conflict', 'an account cannot follow itself');
    const added = this.node.store.hostedAccounts.follow(a.did, did, this.now());
    await this.link.current?.keepScope(outboxId(did));
    return { did, added };
  }

  /** Whom the account follows, longest-followed first. */
  following(a: HostedAccount): Did[] {
    return this.node.store.hostedAccounts.follows(a.did);
  }

  unfollow(a: HostedAccount, target: string): { did: Did; removed: boolean } {
    const did = personOf(target);
    const removed = this.node.store.hostedAccounts.unfollow(a.did, did);
    if (removed && !this.node.scopes().includes(outboxId(did))) this.link.current?.dropScope(outboxId(did));
    return { did, removed };
  }

  /** The device signed a new publish certificate for the node's key (asked by `renew`); from now on posts are signed under it. */
  async renew(a: HostedAccount, certificate: unknown): Promise<AccountStatus> {
    const cert = checkPublishCertificate(certificate, a.did, a.delegate, this.now());
    if (cert.expires <= a.publishExpires) {
      fail('conflict', `the new publish certificate runs out at ${isoOf(cert.expires)}, no later than the one held (${isoOf(a.publishExpires)})`);
    }
    const r = this.node.ingest(cert.doc as JsonObject);
    this.node.store.hostedAccounts.renew(a.did, cert.digest, cert.expires);
    await this.link.push(r.digest);
    await this.onPublishChanged?.(this.node.store.hostedAccounts.get(a.did)!);
    return this.status(this.node.store.hostedAccounts.get(a.did)!);
  }

  /**
   * The account's own revocation (signed on its device), stored and pushed
   * with its scope: of the node's publish certificate, say, after which this
   * node can no longer post for it.
   */
  async revoke(a: HostedAccount, revocation: unknown): Promise<{ id: string; digest: string }> {
    if (!isJsonObject(revocation)) fail('malformed', 'revocation must be the signed KithRevocation document');
    const rev = parseRevocation(revocation);
    if (rev.issuer !== a.did) fail('wrong-key', `the revocation is signed by ${showDid(rev.issuer)}, not by this account's key`);
    const r = this.node.ingest(rev.doc as JsonObject);
    await this.link.push(r.digest);
    await this.onPublishChanged?.(a);
    return { id: r.id, digest: r.digest };
  }

  /**
   * A last actor version for the account, no longer carrying this node's
   * account certificate, so that nodes following the person alone (not this
   * node's owner, whose scope carries the revocation) learn the vouch ended.
   */
  private actorWithoutVouch(a: HostedAccount): Digest | undefined {
    return this.revisedActor(a, ({ [ACCOUNT_MEMBER]: _vouch, ...doc }) => doc, 'a last actor version as the account leaves');
  }

  /** Signs a new version of the account's actor, changed by `change`; undefined (logged) when the node may no longer sign for them (they revoked its key). */
  private revisedActor(a: HostedAccount, change: (doc: JsonObject) => JsonObject, what: string): Digest | undefined {
    const held = this.node.store.objects.byId(actorId(a.did));
    if (!held) return undefined;
    const { proof: _proof, ...actor } = JSON.parse(held.body) as JsonObject;
    try {
      // Later than the version it replaces, even within the same millisecond, so every node takes it as the newest.
      const published = isoNow(Math.max(this.now(), held.created + 1));
      return this.node.ingest(signDocument({ ...change(actor), published }, this.delegateKey(a))).digest;
    } catch (e) {
      if (!(e instanceof KithError)) throw e;
      this.log.info(`${what} was not signed for ${a.name}: ${e.message}`);
      return undefined;
    }
  }

  /** Signs a document for the account with the node's delegate key (ingest then checks the account's publish certificate). */
  signFor(a: HostedAccount, doc: JsonObject): JsonObject {
    return signDocument(doc, this.delegateKey(a));
  }

  private delegateKey(a: HostedAccount): Ed25519KeyPair {
    const held = this.keys.get(a.did);
    if (held) return held;
    const row = this.node.store.keys.byRole(DELEGATE_KEY_ROLE).find((k) => k.did === a.delegate);
    if (!row) return fail('not-found', `the key this node posts for ${a.name} with is missing from its home`);
    const key = readKeyFile(row.file);
    this.keys.set(a.did, key);
    return key;
  }
}
