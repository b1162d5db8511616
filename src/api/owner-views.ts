import { actorId, apIdKey } from '../core/apid.js';
import { htmlToText } from '../core/html-text.js';
import { isoOf } from '../core/statement.js';
import { isJsonObject, type ApId, type Did, type Json, type JsonObject } from '../core/types.js';
import { parseBody, type StoredObject } from '../store/objects.js';
import type { Device } from '../store/devices.js';
import type { KithNode } from '../node/kith-node.js';
import { postOf, repliesTo } from '../node/reading.js';

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
  readonly following: boolean;
  readonly blocked: boolean;
  readonly me: boolean;
}

export interface PostView {
  readonly id: ApId;
  readonly digest: string;
  readonly activity: ApId;
  readonly author: PersonView;
  readonly published: string;
  readonly text: string;
  readonly inReplyTo: string | null;
  readonly attachment: JsonObject[];
  readonly replies: number;
  readonly mine: boolean;
}

const MEDIA_SRC_TYPES = /^(image|video|audio)\/[\w.+-]+$/;

export function mediaSrc(urn: string, mediaType: unknown): string {
  const type = typeof mediaType === 'string' && MEDIA_SRC_TYPES.test(mediaType) ? `?type=${encodeURIComponent(mediaType)}` : '';
  return `/api/media/${encodeURIComponent(urn)}${type}`;
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
    if (typeof a.name === 'string') view.name = a.name.slice(0, 200);
    if (typeof a.digestMultibase === 'string') view.digestMultibase = a.digestMultibase;
    view.src = mediaSrc(a.url, a.mediaType);
    out.push(view);
  }
  return out;
}

/** One view per request: people are looked up once however many of their posts it shows. */
export class Views {
  private readonly people = new Map<Did, PersonView>();

  constructor(private readonly node: KithNode) {}

  person(did: Did): PersonView {
    const hit = this.people.get(did);
    if (hit) return hit;
    const stored = this.node.store.objects.byId(actorId(did));
    const actor = stored ? parseBody(stored) : {};
    const icon = isJsonObject(actor.icon) && typeof actor.icon.url === 'string' && actor.icon.url.startsWith('urn:eris:') ? mediaSrc(actor.icon.url, actor.icon.mediaType) : null;
    const view: PersonView = {
      did,
      id: actorId(did),
      name: str(actor.name)?.slice(0, 200) ?? null,
      summary: typeof actor.summary === 'string' ? htmlToText(actor.summary).slice(0, 2000) : null,
      icon,
      following: this.node.store.follows.get(did) !== undefined,
      blocked: this.node.store.blockedPeople.has(did),
      me: did === this.node.did,
    };
    this.people.set(did, view);
    return view;
  }

  /** A stored activity as a post, or undefined when it is not one (an Update, a Like…). */
  post(o: StoredObject): PostView | undefined {
    const note = postOf(o);
    if (!note) return undefined;
    const source = isJsonObject(note.source) && typeof note.source.content === 'string' ? note.source.content : undefined;
    const text = source ?? (typeof note.content === 'string' ? htmlToText(note.content) : '');
    const id = apIdKey(note.id);
    const reply = repliesTo(note);
    const published = typeof note.published === 'string' ? note.published : isoOf(o.created);
    return {
      id,
      digest: o.digest,
      activity: o.id,
      author: this.person(o.owner),
      published,
      text: text.slice(0, 20_000),
      inReplyTo: reply ?? null,
      attachment: attachmentsOf(note),
      replies: this.node.store.links.replyCount(id),
      mine: o.owner === this.node.did,
    };
  }

  posts(objects: readonly StoredObject[]): PostView[] {
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
