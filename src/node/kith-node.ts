import { fail, type KithError } from '../core/errors.js';
import { buildActor, buildCreate, buildNote, isoNow, type NoteFields, type ProfileFields } from '../core/as2.js';
import { actorId, apIdKey, isApId, outboxId } from '../core/apid.js';
import { issueCertificate, type Certificate, type CertificateRequest } from '../core/certificate.js';
import { ACCOUNT_HOSTED } from '../core/account-vouch.js';
import { issueRevocation, type Revocation } from '../core/revocation.js';
import { keyFingerprint, x25519PrivateFromEd25519Seed } from '../core/didkey.js';
import { sign as signEd25519 } from '../core/ed25519.js';
import { signDocument } from '../core/proof.js';
import { canonicalize } from '../core/jcs.js';
import { postAddressing } from '../core/post-text.js';
import { isJsonObject, type ApId, type Did, type Digest, type JsonObject } from '../core/types.js';
import { Store } from '../store/store.js';
import { Ingestor, PUBLISH, type Ingested, type IngestOptions, type IngestInput } from '../store/ingest.js';
import type { ObjectRecord } from '../core/examine.js';
import { parseBody, type Page, type StoredObject } from '../store/objects.js';
import type { Follow } from '../store/follows.js';
import { createIdentity, hasIdentity, loadIdentity, recoveryPhrase, type Identity } from './identity.js';
import { ensureHome, homePaths, type Home } from './home.js';
import { VerifyPool, ingestParallel } from './verify-pool.js';
import { loadConfig, type NodeConfig } from './config.js';
import { newestVersion, originalOf } from './post-versions.js';
import { SearchIndexing } from './search-indexing.js';
import { silentLogger } from '../core/log.js';
import { KeyAgreement } from './key-agreement.js';

const ACTOR_SETTING = 'identity.actor';
const PARALLEL_THRESHOLD = 64;

export interface OutboxItem {
  readonly digest: string;
  readonly owner: Did;
  readonly id: ApId;
  readonly type: string;
  readonly created: number;
  readonly object: JsonObject;
}

/**
 * A Kith node: one person's identity, their store, and the operations the
 * CLI (and later the network and the web app) perform on them.
 */
export class KithNode {
  readonly did: Did;
  readonly actorId: ApId;
  readonly ingestor: Ingestor;
  /**
   * Inbox deliveries of these types are taken in by the part that set them
   * (direct messages: node/direct-messages.ts), never ingested into a scope:
   * a sync would serve them to anyone who keeps their author's.
   */
  readonly inboxTypes = new Map<string, (doc: JsonObject) => Promise<Ingested>>();
  /**
   * The same for types taken in at once (no waiting), so the owner API's local
   * path takes them too: activities the inbox takes in but keeps out of every scope (a scope is
   * served to whoever syncs it), by type: a forum report (node/forum-reports.ts).
   * Until the service hands over its handler, such an activity is refused, never stored.
   */
  readonly unscoped = new Map<string, (doc: JsonObject) => Ingested>([
    ['Flag', () => fail('not-addressed', 'this node takes no reports while it is starting; try again')],
  ]);
  private readonly searchIndexing: SearchIndexing;

  private constructor(
    readonly home: Home,
    private readonly identity: Identity,
    readonly store: Store,
    opts: IngestOptions,
    /** Operator settings from config.json (limits, rates). */
    readonly config: NodeConfig,
  ) {
    this.did = identity.did;
    this.actorId = actorId(identity.did);
    this.ingestor = new Ingestor(store, opts);
    this.searchIndexing = new SearchIndexing(store.search, opts.log ?? silentLogger);
    this.ingestor.onStored((records) => {
      for (const r of records) if (r.type === 'Update') this.reindexEdited(r);
      this.searchIndexing.schedule();
    });
    // Posts a stop left queued are indexed now.
    if (store.search.pendingCount() > 0) this.searchIndexing.schedule();
  }

  /** Search finds an edited post by its newest words: the row lists show it by is indexed with them. */
  private reindexEdited(update: ObjectRecord): void {
    const doc = JSON.parse(update.body) as JsonObject;
    const target = isJsonObject(doc.object) ? doc.object.id : undefined;
    if (!isApId(target)) return;
    const id = apIdKey(target);
    const original = originalOf(this.store, id);
    const newest = newestVersion(this.store, id);
    if (original && newest) this.store.search.index(original.stored.n, JSON.stringify(newest.note));
  }

  /** Creates a new identity (or restores one from its seed) in an empty home and publishes its actor. */
  static init(homeDir?: string, opts: { seed?: Uint8Array; profile?: ProfileFields; ingest?: IngestOptions } = {}): { node: KithNode; phrase: string } {
    const home = homePaths(homeDir);
    if (hasIdentity(home)) fail('conflict', `${home.root} already holds an identity; use another KITH_HOME or remove it first`);
    ensureHome(home);
    const { phrase, ...identity } = createIdentity(home, opts.seed);
    const config = loadConfig(home);
    const node = new KithNode(home, identity, Store.open(home.database), { limits: config.limits, ...opts.ingest }, config);
    node.store.keys.add(identity.did, 'identity', home.identityKey);
    // The first actor already lists a key-agreement key: no second version just to add it.
    node.publishActor(opts.profile ?? {}, [new KeyAgreement(node).currentMethod()]);
    return { node, phrase };
  }

  static open(homeDir?: string, opts: IngestOptions = {}): KithNode {
    const home = homePaths(homeDir);
    if (!hasIdentity(home)) fail('not-found', `no identity in ${home.root}; run "kith init" first`);
    const identity = loadIdentity(home);
    ensureHome(home);
    const config = loadConfig(home);
    const node = new KithNode(home, identity, Store.open(home.database), { limits: config.limits, ...opts }, config);
    if (node.store.settings.get(ACTOR_SETTING) === undefined) node.publishActor({});
    return node;
  }

  close(): void {
    this.searchIndexing.stop();
    void this.verifyPool?.close();
    this.store.close();
  }

  /** Holds search indexing back (a large sync stores first, then indexes); call the returned function to let it go. */
  holdSearchIndexing(): () => void {
    return this.searchIndexing.hold();
  }

  private verifyPool: VerifyPool | undefined;

  /** Verification threads, started on first use. */
  get pool(): VerifyPool {
    return (this.verifyPool ??= new VerifyPool(this.ingestor.limits));
  }

  /**
   * Ingests many serialised objects, checking signatures on every core.
   * Small batches stay on this thread, where a round trip to a worker would cost more than it saves.
   */
  async ingestMany(
    inputs: readonly string[],
    opts: { scope?: string; onProgress?: (done: number, total: number) => void } = {},
  ): Promise<(Ingested | KithError)[]> {
    if (inputs.length < PARALLEL_THRESHOLD) return this.ingestor.ingestMany(inputs, opts.scope);
    return ingestParallel(this.ingestor, this.pool, inputs, opts);
  }

  /** The 24 words that restore this identity. Show only when the person asks. */
  recoveryPhrase(): string {
    return recoveryPhrase(this.identity);
  }

  get fingerprint(): string {
    return keyFingerprint(this.identity.key.publicKey);
  }

  /** Signs raw bytes with this person's key: for messages that are not documents (a claim of held deliveries, an envelope). */
  signBytes(message: Uint8Array): Uint8Array {
    return signEd25519(this.identity.key, message);
  }

  /** The X25519 secret of this person's did:key, which opens what was sealed to them. Never log or send it. */
  keyAgreementSecret(): Uint8Array {
    return x25519PrivateFromEd25519Seed(this.identity.key.seed);
  }

  /** Signs a document with this person's key (it must not carry a proof yet). */
  sign<T extends JsonObject>(doc: T): T & { proof: JsonObject } {
    return signDocument(doc, this.identity.key);
  }

  /**
   * Lists this node's peer addresses in the actor document (under
   * `endpoints.kithPeers`), so anyone holding it can reach the home node.
   * A new version is signed only when the addresses changed.
   */
  publishEndpoints(addresses: string[]): void {
    const actor = this.actor();
    const endpoints = isJsonObject(actor.endpoints) ? actor.endpoints : {};
    if (JSON.stringify(endpoints.kithPeers ?? []) === JSON.stringify(addresses)) return;
    this.reviseActor((a) => ({ ...a, endpoints: { ...endpoints, kithPeers: addresses } }));
  }

  /**
   * Lists this person's key-agreement keys (FEP-521a `keyAgreement`, newest
   * first) in the actor document, whose proof certifies them. A new version
   * is signed only when the list changed.
   */
  publishKeyAgreement(methods: JsonObject[]): boolean {
    if (canonicalize(this.actor().keyAgreement ?? []) === canonicalize(methods)) return false;
    this.reviseActor((a) => ({ ...a, keyAgreement: methods }));
    return true;
  }

  /** Signs and stores a new version of the actor document: the current one, changed by `change`. */
  private reviseActor(change: (unsigned: JsonObject) => JsonObject): Ingested {
    const { proof: _old, ...current } = this.actor();
    const result = this.ingestor.ingest(this.sign({ ...change(current), published: isoNow() }));
    this.store.settings.set(ACTOR_SETTING, result.digest);
    return result;
  }

  /** A new signed version of the actor with these profile fields; the peer addresses and gateways it lists stay. */
  updateProfile(profile: Pick<ProfileFields, 'name' | 'summary' | 'icon' | 'image'>): Ingested {
    return this.reviseActor((current) => {
      const next: JsonObject = { ...current };
      for (const k of ['name', 'summary', 'icon', 'image'] as const) {
        const v = profile[k];
        if (v === undefined) continue;
        if (v === '' || v === null) delete next[k];
        else next[k] = v;
      }
      return next;
    });
  }

  /**
   * Certifies a device's key to publish in this person's name (FEP-ae97
   * posts signed on the device pass ingest through this chain) until `expires`.
   * The certificate is stored in the person's scope, so followers can check those posts too.
   */
  certifyDevice(device: Did, expires: number): Certificate {
    const cert = issueCertificate(this.identity.key, { subject: device, capability: [PUBLISH], resource: `ap://${this.did}`, expires });
    this.ingestor.ingest(cert.doc as JsonObject);
    return cert;
  }

  /**
   * Vouches, as this node's root, for a person it hosts (core/account-vouch.ts):
   * their own key keeps their identity; their actor document carries this.
   * Stored in the owner's scope, so a revocation of it travels there too.
   */
  certifyAccount(subject: Did, expires: number): Certificate {
    const cert = issueCertificate(this.identity.key, { subject, capability: [ACCOUNT_HOSTED], resource: this.actorId, expires });
    this.ingestor.ingest(cert.doc as JsonObject);
    return cert;
  }

  /**
   * Revokes a certificate this person issued; the revocation is stored and
   * travels with the scope. Nothing new signed under the certificate is taken
   * in from then on, and what it signed at or after `cutOff` (default: now)
   * is void wherever it is stored.
   */
  revokeCertificate(certificate: Digest, cutOff?: number): Revocation {
    const rev = issueRevocation(this.identity.key, { certificate }, cutOff === undefined ? {} : { from: cutOff });
    this.ingestor.ingest(rev.doc as JsonObject);
    return rev;
  }

  /**
   * Passes on a grant this person holds (a forum moderator admitting a
   * member): a certificate from this person's key under `request.parent`,
   * stored, so it travels with the scope of what it grants over.
   */
  certifyUnder(request: CertificateRequest): Certificate {
    const cert = issueCertificate(this.identity.key, request);
    this.ingestor.ingest(cert.doc as JsonObject);
    return cert;
  }

  /** Is this node the one that takes deliveries for `did`: its person's, or a forum whose root key it holds? */
  answersFor(did: Did): boolean {
    return did === this.did || this.store.forums.role(did) === 'owner';
  }

  publishActor(profile: ProfileFields, keyAgreement?: JsonObject[]): Ingested {
    const actor = buildActor(this.did, profile);
    const result = this.ingestor.ingest(this.sign(keyAgreement ? { ...actor, keyAgreement } : actor));
    this.store.settings.set(ACTOR_SETTING, result.digest);
    return result;
  }

  /** The newest stored actor document of this person. */
  actor(): JsonObject {
    const o = this.store.objects.byId(this.actorId);
    if (!o) fail('not-found', 'actor document is missing');
    return parseBody(o);
  }

  /** Signs a Create of a Note into the outbox, addressed as core/post-text.ts postAddressing says. */
  post(fields: NoteFields & { mentioned?: readonly Did[] }): Ingested & { noteId: ApId } {
    if (fields.text.trim().length === 0) fail('malformed', 'a post needs some text');
    const { mentioned = [], tag = [], ...note } = fields;
    const built = buildNote(this.did, { ...note, ...postAddressing(this.did, tag, mentioned, fields.inReplyTo) });
    const result = this.ingestor.ingest(this.sign(buildCreate(this.did, built)));
    return { ...result, noteId: built.id as ApId };
  }

  /** The outbox, newest first. `before` is the last item of the previous page. */
  outbox(page: Page): OutboxItem[] {
    return this.store.objects.outboxPage(outboxId(this.did), page).map(toItem);
  }

  /** An object by id: a stored document, or one embedded in a stored activity. */
  show(id: string): JsonObject | undefined {
    const key = apIdKey(id);
    const own = this.store.objects.byId(key);
    if (own) return parseBody(own);
    const carrier = this.store.objects.carrierOf(key);
    if (!carrier) return undefined;
    const inner = parseBody(carrier).object;
    return isJsonObject(inner) ? inner : undefined;
  }

  /** Starts keeping, serving and syncing a person's scope. Returns false if already followed. */
  follow(did: Did, hint: string | null = null): boolean {
    if (did === this.did) fail('conflict', 'you cannot follow yourself');
    return this.store.follows.add(did, outboxId(did), hint);
  }

  unfollow(did: Did): boolean {
    return this.store.follows.remove(did);
  }

  following(): Follow[] {
    return this.store.follows.list();
  }

  /** Scopes this node keeps and serves: its person's own, those of everyone followed, and its hosted accounts' (theirs and whom they follow). */
  scopes(): string[] {
    const hosted = this.store.hostedAccounts.active().map(outboxId);
    return [...new Set([outboxId(this.did), ...hosted, ...this.pulledScopes()])];
  }

  /** Scopes this node fetches from peers: of everyone its person or a hosted account follows. */
  pulledScopes(): string[] {
    const byAccounts = this.store.hostedAccounts.followedByAccounts().map(outboxId);
    return [...new Set([...this.following().map((f) => f.scope), ...byAccounts])];
  }

  /** The home timeline: this person's posts and those of everyone followed, newest first. */
  timeline(page: Page): StoredObject[] {
    return this.store.objects.timelinePage(outboxId(this.did), page);
  }

  /** Stops taking in anything of this person's, and stops following them. */
  block(did: Did): boolean {
    if (did === this.did) fail('conflict', 'you cannot block yourself');
    this.unfollow(did);
    return this.store.blockedPeople.add(did);
  }

  unblock(did: Did): boolean {
    return this.store.blockedPeople.remove(did);
  }

  /** The merged timeline of everyone followed, newest first. */
  feed(page: Page): OutboxItem[] {
    return this.store.objects.feedPage(page).map(toItem);
  }

  ingest(input: IngestInput): Ingested {
    return this.ingestor.ingest(input);
  }

  /** Runs every ingest check without storing; throws the reason if it would be refused. */
  check(input: IngestInput): ReturnType<Ingestor['check']> {
    return this.ingestor.check(input);
  }
}

function toItem(o: StoredObject): OutboxItem {
  return { digest: o.digest, owner: o.owner, id: o.id, type: o.type, created: o.created, object: parseBody(o) };
}
