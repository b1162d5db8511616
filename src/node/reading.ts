import { fail } from '../core/errors.js';
import { apIdKey, isApId, outboxId } from '../core/apid.js';
import { MAX_THREAD_ANCESTORS } from '../core/constants.js';
import { isJsonObject, type ApId, type Did, type JsonObject } from '../core/types.js';
import type { Page, StoredObject } from '../store/objects.js';
import type { LinkedObject } from '../store/links.js';
import type { KithNode } from './kith-node.js';
import { personOf } from './people.js';
import { newestVersion, originalOf } from './post-versions.js';

/** What the owner reads: their timeline, a person's posts, a thread, their notifications. */

export { postOf } from './post-versions.js';

/** The id a post answers, as it wrote it (an id, or an object with one). */
export function repliesTo(note: JsonObject): string | undefined {
  const reply = isJsonObject(note.inReplyTo) ? note.inReplyTo.id : note.inReplyTo;
  return typeof reply === 'string' ? reply : undefined;
}

export interface PersonPage {
  readonly did: Did;
  /** Their outbox, newest first. */
  readonly items: StoredObject[];
}

export interface Thread {
  /** What the post answers, the first post of the thread first. */
  readonly ancestors: StoredObject[];
  readonly post: StoredObject;
  /** Replies to it, oldest first. */
  readonly replies: StoredObject[];
}

export interface Notification {
  readonly object: LinkedObject;
  readonly kind: LinkedObject['kind'];
  readonly unread: boolean;
}

export interface Notifications {
  /** Newest first, one per stored object (pages are cut on these). */
  readonly items: Notification[];
  /** How many are unread in all, not only on this page. */
  readonly unread: number;
}

const SEEN_SETTING = 'notifications.seen';

export class Reading {
  constructor(
    private readonly node: KithNode,
    private readonly now: () => number = Date.now,
  ) {}

  /** The owner's posts and those of everyone they follow, newest first. */
  timeline(page: Page): StoredObject[] {
    return this.node.timeline(page);
  }

  /** A person (by did:key or ap:// id) and a page of their posts. */
  person(target: string, page: Page): PersonPage {
    const did = personOf(target);
    return { did, items: this.node.store.objects.outboxPage(outboxId(did), page) };
  }

  /** A post with the posts it answers and its replies. */
  thread(id: string): Thread {
    if (!isApId(id)) fail('malformed', `a thread is named by the ap:// id of one of its posts, not "${id.slice(0, 60)}"`);
    const key = apIdKey(id);
    const found = this.postAt(key);
    if (!found && this.node.store.tombstones.get(key)) fail('deleted', 'its author deleted this post');
    if (!found) return fail('not-found', 'this node does not hold that post (follow its author to get their posts)');
    const ancestors: StoredObject[] = [];
    let up = repliesTo(found.note);
    while (up !== undefined && isApId(up) && ancestors.length < MAX_THREAD_ANCESTORS) {
      const parent = this.postAt(apIdKey(up));
      if (!parent) break;
      ancestors.unshift(parent.stored);
      up = repliesTo(parent.note);
    }
    return { ancestors, post: found.stored, replies: this.node.store.links.replies(key) };
  }

  /** Replies to the owner and posts that mention them, newest first. */
  notifications(page: Page): Notifications {
    const since = this.seen();
    const rows = this.node.store.links.addressedTo(this.node.did, page);
    return {
      items: rows.map((object) => ({ object, kind: object.kind, unread: object.created > since })),
      unread: this.node.store.links.unread(this.node.did, since),
    };
  }

  /** Marks every notification so far read. */
  markNotificationsRead(): { unread: number } {
    this.node.store.settings.set(SEEN_SETTING, String(this.now()));
    return { unread: this.node.store.links.unread(this.node.did, this.seen()) };
  }

  private seen(): number {
    return Number(this.node.store.settings.get(SEEN_SETTING) ?? 0);
  }

  /** A post stored whole, or carried by a stored Create, with its newest version (an edit may say what it answers). */
  private postAt(key: ApId): { stored: StoredObject; note: JsonObject } | undefined {
    const original = originalOf(this.node.store, key);
    return original && { stored: original.stored, note: newestVersion(this.node.store, key)?.note ?? original.note };
  }
}
