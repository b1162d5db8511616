import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fail } from '../core/errors.js';
import { actorId, followersId } from '../core/apid.js';
import { buildCreate, buildNote, isoNow, type NoteFields } from '../core/as2.js';
import {
  EPOCH_KEY_BYTES,
  EPOCH_KEY_TYPE,
  buildEpochKeyObject,
  decryptCapability,
  encryptCapability,
  followersCapabilityOf,
  openEpochKey,
  parseEpochKeyObject,
  type EpochKeyObject,
} from '../core/follower-keys.js';
import { EPOCH_LIFETIME_MS, EPOCH_RENEW_BEFORE_MS } from '../core/constants.js';
import { parseDateTime } from '../core/time.js';
import type { Did, Digest, JsonObject } from '../core/types.js';
import type { Ingested } from '../store/ingest.js';
import type { KithNode } from './kith-node.js';
import type { KeyAgreement } from './key-agreement.js';
import { SEALED_TYPE, openSealed, sealObject } from './sealed.js';
import { listSecretFiles, readSecretFile, secretDir, writeSecretFile } from './secret-files.js';

/**
 * Epoch keys and followers-only posts (issue 14).
 *
 * The author's side: one epoch at a time, a random 32-byte key with an expiry
 * (EPOCH_LIFETIME_MS), given to each approved follower as a KithEpochKey
 * object in the author's scope (core/follower-keys.ts). A follower who is no
 * longer approved (removed, blocked, unfollowed) starts a new epoch given to
 * the others only; an epoch near its expiry is renewed for those still
 * approved. A followers-only post is sealed (node/sealed.ts) and its read
 * capability encrypted under the current epoch's key; an expired epoch is
 * never used for a new post.
 *
 * The follower's side: a key object addressed to this person is opened with
 * the key-agreement secret it names, and the epoch key kept; a followers-only
 * envelope of an epoch held is opened when read, and stays blind otherwise.
 *
 * Keys are files of the home, mode 0600 (node/secret-files.ts says why):
 * `epochs/own/<epoch>.json` (the author's), `epochs/held/<author>-<epoch>.json`
 * (those given to this person). Erasing the folder forgets them.
 */

export interface Epoch {
  readonly epoch: number;
  readonly key: Uint8Array;
  readonly created: number;
  readonly expires: number;
}

export interface EpochStarted {
  readonly epoch: number;
  readonly expires: string;
  /** Followers it was given to. */
  readonly granted: number;
  /** Bytes of the key objects signed for them. */
  readonly bytes: number;
}

export interface OpenedPost {
  /** The public envelope's id and digest, as the scope holds it. */
  readonly envelopeId: string;
  readonly digest: string;
  readonly author: Did;
  readonly created: number;
  /** The Create the author signed, opened. */
  readonly activity: JsonObject;
}

export interface FollowersOnlyPosted extends Ingested {
  readonly noteId: string;
  readonly epoch: number;
}

/** Key objects sealed and stored together when an epoch starts. */
const GRANT_BATCH = 256;

function epochFile(n: number): string {
  return `${String(n).padStart(10, '0')}.json`;
}

function authorTag(author: Did): string {
  return createHash('sha256').update(author).digest('hex').slice(0, 32);
}

function b64(b: Uint8Array): string {
  return Buffer.from(b).toString('base64');
}

export class FollowerEpochs {
  private readonly ownDir: string;
  private readonly heldDir: string;

  constructor(
    private readonly node: KithNode,
    private readonly agreement: KeyAgreement,
    private readonly now: () => number = Date.now,
    /** Told of each key object stored, so a running node pushes it live: followers should not wait for the next sync to read. */
    private readonly granted: (digest: Digest) => void = () => undefined,
  ) {
    const dir = secretDir(node.home.root, 'epochs');
    this.ownDir = secretDir(dir, 'own');
    this.heldDir = secretDir(dir, 'held');
  }

  // ---- the author's side ----

  /** The author's newest epoch, or undefined before the first. */
  current(): Epoch | undefined {
    const files = listSecretFiles(this.ownDir);
    const last = files[files.length - 1];
    if (last === undefined) return undefined;
    const d = readSecretFile(join(this.ownDir, last));
    return { epoch: Number(d.epoch), key: new Uint8Array(Buffer.from(String(d.key), 'base64')), created: Number(d.created), expires: Number(d.expires) };
  }

  /** Followers a given epoch was handed to: the recipients of this person's key objects of that epoch. */
  members(epoch: number): Set<Did> {
    const rows = this.node.store.db
      .prepare(`SELECT body FROM objects WHERE type = '${EPOCH_KEY_TYPE}' AND owner = ? AND json_extract(body, '$.epoch') = ?`)
      .all(this.node.did, epoch) as { body: string }[];
    return new Set(rows.map((r) => parseEpochKeyObject(JSON.parse(r.body) as JsonObject)!.recipient));
  }

  private approved(): Did[] {
    return this.node.store.followers.list('accepted').map((f) => f.did);
  }

  /**
   * Brings the epoch in line with the approved followers: a new epoch when one
   * of its members is no longer approved, when it is due for renewal, or when
   * there is none yet; otherwise the current key to followers approved since.
   * Returns the new epoch when one was started.
   */
  async reconcile(): Promise<EpochStarted | undefined> {
    const approved = this.approved();
    const cur = this.current();
    if (cur === undefined || cur.expires - EPOCH_RENEW_BEFORE_MS <= this.now()) return this.startEpoch(approved);
    const members = this.members(cur.epoch);
    const still = new Set(approved);
    for (const m of members) if (!still.has(m)) return this.startEpoch(approved);
    for (const did of approved) if (!members.has(did)) await this.grant(cur, did);
    return undefined;
  }

  /** A new epoch with a fresh key, given to `followers` only. */
  async startEpoch(followers: readonly Did[]): Promise<EpochStarted> {
    const now = this.now();
    const epoch: Epoch = {
      epoch: (this.current()?.epoch ?? 0) + 1,
      key: new Uint8Array(randomBytes(EPOCH_KEY_BYTES)),
      created: now,
      expires: now + EPOCH_LIFETIME_MS,
    };
    if (
      !writeSecretFile(join(this.ownDir, epochFile(epoch.epoch)), { epoch: epoch.epoch, key: b64(epoch.key), created: epoch.created, expires: epoch.expires })
    ) {
      fail('conflict', `epoch ${epoch.epoch} was started at the same time elsewhere; try again`);
    }
    let bytes = 0;
    // Stored a batch at a time: one transaction for many key objects, not a commit each.
    for (let i = 0; i < followers.length; i += GRANT_BATCH) {
      const batch = await Promise.all(followers.slice(i, i + GRANT_BATCH).map((did) => this.keyObject(epoch, did)));
      for (const r of this.node.ingestor.ingestMany(batch)) {
        if (r instanceof Error) throw r;
        this.granted(r.digest as Digest);
      }
      for (const o of batch) bytes += Buffer.byteLength(JSON.stringify(o));
    }
    return { epoch: epoch.epoch, expires: isoNow(epoch.expires), granted: followers.length, bytes };
  }

  /** One follower's signed key object of an epoch: its key sealed to their key-agreement key. */
  private async keyObject(epoch: Epoch, follower: Did): Promise<JsonObject> {
    const to = this.agreement.recipientKey(follower);
    const unsigned = await buildEpochKeyObject(
      { author: this.node.did, recipient: follower, epoch: epoch.epoch, expires: isoNow(epoch.expires), keyId: to.keyId },
      epoch.key,
      to.publicKey,
      this.now(),
    );
    return this.node.sign(unsigned);
  }

  /** Seals an epoch's key to one follower and stores the signed key object in this person's scope; returns its size. */
  async grant(epoch: Epoch, follower: Did): Promise<number> {
    const signed = await this.keyObject(epoch, follower);
    this.granted(this.node.ingest(signed).digest as Digest);
    return Buffer.byteLength(JSON.stringify(signed));
  }

  /** The epoch a new post may use: the current one, refused once it has expired (renewal comes first: reconcile). */
  usable(): Epoch {
    const cur = this.current();
    if (cur === undefined) return fail('not-found', 'there is no epoch key yet for followers-only posts; the node starts one with its followers');
    if (cur.expires <= this.now()) {
      fail(
        'expired',
        `epoch ${cur.epoch} expired at ${isoNow(cur.expires)}; a followers-only post waits for the node to renew it (it does before expiry while it runs)`,
      );
    }
    return cur;
  }

  /** Signs a followers-only post, seals it, and publishes its envelope with the capability encrypted under the current epoch. */
  async post(fields: NoteFields): Promise<FollowersOnlyPosted> {
    const epoch = this.usable();
    const note = buildNote(this.node.did, { ...fields, to: [followersId(this.node.did)], cc: [] }, this.now());
    const create = buildCreate(this.node.did, note);
    const { envelope } = await sealObject(this.node, create, [followersId(this.node.did)], (urn, envelopeId) => ({
      followers: encryptCapability(urn, epoch.key, { author: this.node.did, epoch: epoch.epoch, envelopeId }),
    }));
    return { ...envelope, noteId: note.id as string, epoch: epoch.epoch };
  }

  // ---- the follower's side ----

  private heldPath(author: Did, epoch: number): string {
    return join(this.heldDir, `${authorTag(author)}-${epochFile(epoch)}`);
  }

  /** An epoch key this person was given, if held. */
  held(author: Did, epoch: number): (Epoch & { object: string }) | undefined {
    const path = this.heldPath(author, epoch);
    if (!listSecretFiles(this.heldDir).includes(path.slice(this.heldDir.length + 1))) return undefined;
    const d = readSecretFile(path);
    if (d.author !== author) fail('conflict', `${path} holds a key of another author`);
    return {
      epoch,
      key: new Uint8Array(Buffer.from(String(d.key), 'base64')),
      created: Number(d.created),
      expires: Number(d.expires),
      object: String(d.object),
    };
  }

  /**
   * Opens a key object given to this person and keeps the epoch key. Refused:
   * one for someone else (not-addressed), a second key for an epoch already
   * held (conflict: a replayed or forged epoch), a box that does not open
   * (bad-signature), one sealed to a key erased since (not-found). Nothing is
   * kept on a refusal. Returns false when this very object was opened before.
   */
  async receive(doc: JsonObject): Promise<boolean> {
    const o = parseEpochKeyObject(doc);
    if (o === undefined) return fail('malformed', `a ${EPOCH_KEY_TYPE} object was expected`);
    if (o.recipient !== this.node.did) fail('not-addressed', `epoch key ${o.epoch} of ${o.author} is for ${o.recipient}, not for this node's ${this.node.did}`);
    const had = this.held(o.author, o.epoch);
    if (had !== undefined) {
      if (had.object === o.id) return false;
      fail('conflict', `epoch ${o.epoch} of ${o.author} is already held from ${had.object}; ${o.id} replays it with another key`);
    }
    const key = await this.openKey(o);
    writeSecretFile(this.heldPath(o.author, o.epoch), {
      author: o.author,
      epoch: o.epoch,
      key: b64(key),
      created: parseDateTime(doc.published) || this.now(),
      expires: parseDateTime(o.expires),
      object: o.id,
    });
    return true;
  }

  private async openKey(o: EpochKeyObject): Promise<Uint8Array> {
    const secret = this.agreement.secretFor(o.keyId);
    if (secret === undefined) fail('not-found', `epoch key ${o.epoch} of ${o.author} is sealed to ${o.keyId}, whose private half this node no longer has`);
    return openEpochKey(o, secret);
  }

  /** Opens every key object addressed to this person that this store holds and this node has not opened; returns how many. */
  async receiveStored(log: (reason: string) => void): Promise<number> {
    const rows = this.node.store.db
      .prepare(`SELECT body FROM objects WHERE type = '${EPOCH_KEY_TYPE}' AND json_extract(body, '$.to[0]') = ? ORDER BY created`)
      .all(actorId(this.node.did)) as { body: string }[];
    let opened = 0;
    for (const r of rows) {
      try {
        if (await this.receive(JSON.parse(r.body) as JsonObject)) opened++;
      } catch (e) {
        log(`an epoch key object was refused: ${(e as Error).message}`);
      }
    }
    return opened;
  }

  /** Whether this node holds an epoch's key (its own, or one given to it), from one read of each folder: a pass over many envelopes asks for each. */
  keyring(): (author: Did, epoch: number) => boolean {
    const own = new Set(listSecretFiles(this.ownDir));
    const held = new Set(listSecretFiles(this.heldDir));
    return (author, epoch) => (author === this.node.did ? own.has(epochFile(epoch)) : held.has(`${authorTag(author)}-${epochFile(epoch)}`));
  }

  /**
   * Opens a followers-only envelope with the epoch key it names: the Create
   * its author signed, or undefined when this person holds no key of that
   * epoch (not a follower then). A capability that does not decrypt, or a
   * post made under an epoch already expired, is refused.
   */
  async open(envelope: JsonObject, author: Did): Promise<JsonObject | undefined> {
    const f = followersCapabilityOf(envelope);
    if (f === undefined) return undefined;
    const epoch = author === this.node.did ? this.ownEpoch(f.epoch) : this.held(author, f.epoch);
    if (epoch === undefined) return undefined;
    const urn = decryptCapability(f, epoch.key, { author, envelopeId: String(envelope.id) });
    const activity = await openSealed(this.node, urn, author);
    // The time the author signed inside: the envelope's own is when it was sealed.
    if (!(parseDateTime(activity.published) < epoch.expires)) fail('expired', `${String(envelope.id)} was posted under epoch ${f.epoch} after it expired`);
    return activity;
  }

  private ownEpoch(n: number): Epoch | undefined {
    const files = listSecretFiles(this.ownDir);
    if (!files.includes(epochFile(n))) return undefined;
    const d = readSecretFile(join(this.ownDir, epochFile(n)));
    return { epoch: n, key: new Uint8Array(Buffer.from(String(d.key), 'base64')), created: Number(d.created), expires: Number(d.expires) };
  }

  /**
   * The followers-only posts this person may read, newest first: envelopes
   * of epochs they hold (or their own), opened. One whose blocks have not
   * arrived yet is left out until they have.
   */
  async readable(limit: number, log: (reason: string) => void): Promise<OpenedPost[]> {
    const rows = this.node.store.db
      .prepare(
        `SELECT lower(hex(digest)) AS digest, owner, created, body FROM objects WHERE type = '${SEALED_TYPE}' AND json_extract(body, '$.followers') IS NOT NULL ORDER BY created DESC LIMIT ?`,
      )
      .all(limit * 4) as { digest: string; owner: Did; created: number; body: string }[];
    const out: OpenedPost[] = [];
    for (const r of rows) {
      if (out.length >= limit) break;
      const envelope = JSON.parse(r.body) as JsonObject;
      try {
        const activity = await this.open(envelope, r.owner);
        if (activity) out.push({ envelopeId: String(envelope.id), digest: r.digest, author: r.owner, created: r.created, activity });
      } catch (e) {
        log(`followers-only post ${String(envelope.id)} of ${r.owner} not opened: ${(e as Error).message}`);
      }
    }
    return out;
  }
}
