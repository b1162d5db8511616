import { actorId, apIdKey, didOf, isApId, outboxId } from '../core/apid.js';
import type { NotificationKind } from '../node/reading.js';
import { MAX_ALT_TEXT_CHARS, MAX_QUOTE_CHARS, VIEW_MAX_FUTURE_SKEW_MS } from '../core/constants.js';
import { htmlToText } from '../core/html-text.js';
import { isoOf } from '../core/statement.js';
import { isJsonObject, type ApId, type Did, type Json, type JsonObject } from '../core/types.js';
import { parseBody, type StoredObject } from '../store/objects.js';
import type { Device } from '../store/devices.js';
import { postOf, repliesTo, type Reader } from '../node/reading.js';
import { postExtras, type PostExtras } from './post-extras.js';
import type { PostFacts } from '../store/post-facts.js';
import { newestVersion, originalOf } from '../node/post-versions.js';

/**
 * How the owner API shows people, posts and devices: plain JSON for the web
 * app. Post text is plain text (never the author's HTML), and media is linked
 * through this node, which holds the blocks and the read capabilities.
 */

export interface PersonView {
  readonly did: Did;
  readonly id: ApId;
  readonly name: string | null;
  readonly summary: string | null;
  readonly icon: string | null;
  /** The header image shown above their profile (AS2 `image`). */
  readonly image: string | null;
  /** The name the owner gave them (shown first; `name` is the one they chose). */
  readonly petname: string | null;
  readonly following: boolean;
  readonly blocked: boolean;
  readonly me: boolean;
  /** Whether this node holds anything of theirs (their actor document or posts): false for a key nobody has answered for yet, such as a mistyped one. */
  readonly found: boolean;
  /** The node root that vouches for them (a hosted account, see store/account-vouches.ts), or null when they are self-rooted. */
  readonly hostedBy: Did | null;
}

export interface PostView extends PostExtras {
  readonly id: ApId;
  readonly digest: string;
  readonly activity: ApId;
  readonly author: PersonView;
  /** When it was published: the author's claim, unless that lay in the future when it arrived (then when it arrived). */
  readonly published: string;
  /** The author's claimed time when it is not shown as `published` (it was in the future), so the app can say so; null otherwise. */
  readonly publishedClaim: string | null;
  readonly text: string;
  readonly inReplyTo: string | null;
  /** Whose post this one replies to (named by the DID in the parent's ap:// id), so a reply can say whom it answers. */
  readonly inReplyToAuthor: PersonView | null;
  readonly attachment: JsonObject[];
  readonly replies: number;
  /** People who like it and who boosted it, not counting undone ones or people the owner blocked. */
  readonly likes: number;
  readonly boosts: number;
  /** Whether the owner likes it, and has boosted it. */
  readonly liked: boolean;
  readonly boosted: boolean;
  /** When the version shown was made, if its author edited it; null for a post never edited. */
  readonly edited: string | null;
  /** Shown because this person boosted it (the entry is their Announce); null for the post itself. */
  readonly boostedBy: PersonView | null;
  /** A boost of a post this node does not hold: only its id and author are known until it is fetched. */
  readonly missing: boolean;
  readonly mine: boolean;
  /** Sealed for the author's approved followers: shown because this node holds the epoch key and opened it. */
  readonly followersOnly: boolean;
}

/** The start of a post, quoted in a notification about it. */
export interface QuoteView {
  readonly id: ApId;
  readonly author: PersonView;
  readonly published: string;
  readonly text: string;
  /** How many attachments the post has (a post of images alone still shows it is about them). */
  readonly attachments: number;
}

export interface NotificationView {
  /** The activity it tells of (the reply, the mention, the Like or Announce): stable across pages and live events. */
  readonly id: ApId;
  readonly kind: NotificationKind;
  /** Who did it. */
  readonly by: PersonView;
  /** The reply or the post that mentions the owner; null for a like or boost (its post is the quote). */
  readonly post: PostView | null;
  readonly at: string;
  readonly unread: boolean;
  /** For a reply, the start of the post it answers; for a like or boost, of the owner's post it is about. */
  readonly quote: QuoteView | null;
  /** From a stranger, while the owner filters those: listed apart (GET /api/notifications?filtered=true). */
  readonly filtered: boolean;
}

function quoteOf(p: PostView): QuoteView {
  const text = p.text.length > MAX_QUOTE_CHARS ? `${p.text.slice(0, MAX_QUOTE_CHARS).trimEnd()}\u2026` : p.text;
  return { id: p.id, author: p.author, published: p.published, text, attachments: p.attachment.length };
}

const MEDIA_SRC_TYPES = /^(image|video|audio)\/[\w.+-]+$/;

export function mediaSrc(urn: string, mediaType: unknown): string {
  const type = typeof mediaType === 'string' && MEDIA_SRC_TYPES.test(mediaType) ? `?type=${encodeURIComponent(mediaType)}` : '';
  return `/api/media/${encodeURIComponent(urn)}${type}`;
}

/** An avatar or header the actor links as ERIS, through this node. */
function imageSrc(v: Json | undefined): string | null {
  return isJsonObject(v) && typeof v.url === 'string' && v.url.startsWith('urn:eris:') ? mediaSrc(v.url, v.mediaType) : null;
}

function str(v: Json | undefined): string | null {
  return typeof v === 'string' && v.length > 0 ? v : null;
}

function attachmentsOf(note: JsonObject): JsonObject[] {
  const list = Array.isArray(note.attachment) ? note.attachment : note.attachment === undefined ? [] : [note.attachment];
  const out: JsonObject[] = [];
  for (const a of list.slice(0, 16)) {
    if (!isJsonObject(a) || typeof a.url !== 'string' || !a.url.startsWith('urn:eris:')) continue;
    const view: JsonObject = { type: str(a.type) ?? 'Document', mediaType: str(a.mediaType) ?? 'application/octet-stream', url: a.url };
    if (typeof a.size === 'number') view.size = a.size;
    // AS2 keeps an image's description (its alt text) in `name`.
    if (typeof a.name === 'string' && a.name.trim().length > 0) view.name = a.name.slice(0, MAX_ALT_TEXT_CHARS);
    if (typeof a.digestMultibase === 'string') view.digestMultibase = a.digestMultibase;
    view.src = mediaSrc(a.url, a.mediaType);
    out.push(view);
  }
  return out;
}

/**
 * A post's time to show. The activity's own time is checked on arrival, but
 * the inner object's `published` is the author's word alone: one that was
 * still in the future when the post arrived (beyond clock skew) would sit at
 * the top of every list and read as a date to come, so the time it arrived
 * is shown instead and the claim is kept beside it. One that is no date at
 * all shows the activity's time.
 */
function publishedOf(note: JsonObject, o: StoredObject): { published: string; claim: string | null } {
  const claimed = typeof note.published === 'string' ? Date.parse(note.published) : NaN;
  if (Number.isNaN(claimed)) return { published: isoOf(o.created), claim: null };
  if (claimed > o.received + VIEW_MAX_FUTURE_SKEW_MS) return { published: isoOf(o.received), claim: String(note.published).slice(0, 64) };
  return { published: String(note.published), claim: null };
}

function countsOf(f: PostFacts): Pick<PostView, 'replies' | 'likes' | 'boosts' | 'liked' | 'boosted'> {
  return { replies: f.replies, likes: f.likes, boosts: f.boosts, liked: f.liked, boosted: f.boosted };
}

/** One view per request: people are looked up once however many of their posts it shows. */
export class Views {
  private readonly people = new Map<Did, PersonView>();
  /** Counts and marks of the posts of the page being shown, read at once (store/post-facts.ts). */
  private facts = new Map<ApId, PostFacts>();
  private readonly parsed = new WeakMap<StoredObject, JsonObject | undefined>();

  constructor(private readonly node: Reader) {}

  person(did: Did): PersonView {
    const hit = this.people.get(did);
    if (hit) return hit;
    const stored = this.node.store.objects.byId(actorId(did));
    const actor = stored ? parseBody(stored) : {};
    const view: PersonView = {
      did,
      id: actorId(did),
      name: str(actor.name)?.slice(0, 200) ?? null,
      summary: typeof actor.summary === 'string' ? htmlToText(actor.summary).slice(0, 2000) : null,
      icon: imageSrc(actor.icon),
      image: imageSrc(actor.image),
      petname: this.node.store.petnames.get(did)?.name ?? null,
      following: this.node.store.follows.get(did) !== undefined,
      blocked: this.node.store.blockedPeople.has(did),
      me: did === this.node.did,
      found: stored !== undefined || this.node.store.objects.count(outboxId(did)) > 0,
      hostedBy: this.node.store.accountVouches.rootNow(did) ?? null,
    };
    this.people.set(did, view);
    return view;
  }

  /** A stored activity as a post (its newest version), a boost as the post it boosts, or undefined when it is neither (an Update, a Like…). */
  post(o: StoredObject): PostView | undefined {
    if (o.type === 'Announce') return this.boost(o);
    const original = this.postIn(o);
    if (!original) return undefined;
    const id = apIdKey(original.id as ApId);
    const facts = this.factsOf(id);
    // A post only its Create holds is shown from it; weighing versions costs two more reads per post.
    const newest = facts.single && o.type === 'Create' ? undefined : newestVersion(this.node.store, id);
    const note = newest?.note ?? original;
    const source = isJsonObject(note.source) && typeof note.source.content === 'string' ? note.source.content : undefined;
    const text = source ?? (typeof note.content === 'string' ? htmlToText(note.content) : '');
    const reply = repliesTo(note);
    const replyTo = reply !== undefined && isApId(reply) ? this.person(didOf(reply)) : null;
    const { published, claim } = publishedOf(original, o);
    return {
      id,
      digest: o.digest,
      activity: o.id,
      author: this.person(o.owner),
      published,
      publishedClaim: claim,
      text: text.slice(0, 20_000),
      inReplyTo: reply ?? null,
      inReplyToAuthor: replyTo,
      attachment: attachmentsOf(note),
      ...postExtras(note),
      ...countsOf(facts),
      edited: newest !== undefined && newest.stored.type === 'Update' ? new Date(newest.at).toISOString() : null,
      boostedBy: null,
      missing: false,
      mine: o.owner === this.node.did,
      // An envelope shows only opened, as its Create (store/opened-posts.ts): that row is the envelope's.
      followersOnly: o.type === 'Create' && this.node.store.opened.isOpened(o.n),
    };
  }

  /** The counts and marks of a post: read with its page's, or on their own for a post shown alone. */
  private factsOf(id: ApId): PostFacts {
    return this.facts.get(id) ?? this.node.store.postFacts.of([id], this.node.did).get(id)!;
  }

  /** The post a stored object is or carries, parsed once however often a request asks. */
  private postIn(o: StoredObject): JsonObject | undefined {
    if (!this.parsed.has(o)) this.parsed.set(o, postOf(o));
    return this.parsed.get(o);
  }

  /** The id of the post a listed object shows: the post it is or carries, or the one it boosts. */
  private shownId(o: StoredObject): ApId | undefined {
    if (o.type !== 'Announce') {
      const note = this.postIn(o);
      return note && apIdKey(note.id as ApId);
    }
    const doc = parseBody(o);
    const named = isJsonObject(doc.object) ? doc.object.id : doc.object;
    return isApId(named) ? apIdKey(named) : undefined;
  }

  /**
   * A boost, shown as the post it boosts with who boosted it; nothing for one
   * its booster took back or of a post its author deleted. A post not held
   * here shows as its id and author, honestly, until it is fetched.
   */
  private boost(o: StoredObject): PostView | undefined {
    const doc = parseBody(o);
    const named = isJsonObject(doc.object) ? doc.object.id : doc.object;
    if (!isApId(named) || this.node.store.interactions.isUndone(o.id)) return undefined;
    const target = apIdKey(named);
    if (this.node.store.tombstones.get(target)) return undefined;
    const by = { boostedBy: this.person(o.owner), digest: o.digest, activity: o.id };
    const held = originalOf(this.node.store, target);
    const post = held && this.post(held.stored);
    if (post) return { ...post, ...by };
    return {
      id: target,
      ...by,
      author: this.person(didOf(target)),
      published: isoOf(o.created),
      publishedClaim: null,
      text: '',
      inReplyTo: null,
      inReplyToAuthor: null,
      attachment: [],
      summary: null,
      sensitive: false,
      hashtags: [],
      mentions: [],
      ...countsOf(this.factsOf(target)),
      edited: null,
      missing: true,
      followersOnly: false,
      mine: didOf(target) === this.node.did,
    };
  }

  /** A post held here by its ap:// id, whether stored on its own or inside the activity that carried it. */
  find(id: ApId): PostView | undefined {
    const o = originalOf(this.node.store, id)?.stored;
    return o ? this.post(o) : undefined;
  }

  /**
   * A notification: for a reply or mention the post, with the start of the
   * post a reply answers; for a like or boost the start of the owner's post
   * it is about. Undefined when what it is about is not shown (gone meanwhile).
   */
  notification(n: {
    readonly object: StoredObject;
    readonly kind: NotificationKind;
    readonly target: ApId | null;
    readonly unread: boolean;
    readonly filtered?: boolean;
  }): NotificationView | undefined {
    const { object, kind, unread } = n;
    const base = { id: object.id, kind, by: this.person(object.owner), unread, filtered: n.filtered ?? false };
    // A follow is about the owner, not a post: who it is says it all.
    if (kind === 'follow' || kind === 'follow-request') return { ...base, post: null, at: isoOf(object.created), quote: null };
    if (n.target !== null) {
      const liked = this.find(n.target);
      return liked && { ...base, post: null, at: isoOf(object.created), quote: quoteOf(liked) };
    }
    const post = this.post(object);
    if (!post) return undefined;
    const parent = kind === 'reply' && post.inReplyTo !== null && isApId(post.inReplyTo) ? this.find(apIdKey(post.inReplyTo)) : undefined;
    return { ...base, post, at: post.published, quote: parent ? quoteOf(parent) : null };
  }

  /** Reads the counts and marks of every post these objects show, at once, for the views that follow. */
  prepare(objects: readonly StoredObject[]): void {
    this.facts = this.node.store.postFacts.of(
      objects.flatMap((o) => this.shownId(o) ?? []),
      this.node.did,
    );
  }

  posts(objects: readonly StoredObject[]): PostView[] {
    this.prepare(objects);
    const out: PostView[] = [];
    for (const o of objects) {
      const p = this.post(o);
      if (p) out.push(p);
    }
    return out;
  }
}

export interface DeviceView {
  readonly id: string;
  readonly name: string;
  readonly did: Did;
  readonly created: string;
  readonly expires: string;
  readonly lastSeen: string | null;
  readonly current: boolean;
  readonly revoked: string | null;
}

export function deviceView(d: Device, current: string | undefined): DeviceView {
  return {
    id: d.id,
    name: d.name,
    did: d.did,
    created: isoOf(d.created),
    expires: isoOf(d.expires),
    lastSeen: d.lastSeen === null ? null : isoOf(d.lastSeen),
    current: d.id === current,
    revoked: d.revoked === null ? null : isoOf(d.revoked),
  };
}
