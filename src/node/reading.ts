import { fail } from '../core/errors.js';
import { actorId, apIdKey, isApId, outboxId } from '../core/apid.js';
import { MAX_THREAD_ANCESTORS } from '../core/constants.js';
import { newestFirst } from '../store/opened-posts.js';
import { isJsonObject, type ApId, type Did, type JsonObject } from '../core/types.js';
import { parseBody, type Page, type StoredObject } from '../store/objects.js';
import type { NotificationFilter } from '../store/links.js';
import type { NotificationKind, NotificationRow } from '../store/notifications.js';
import type { Store } from '../store/store.js';
import { personOf } from './people.js';
import { loadPreferences } from './preferences.js';
import { newestVersion, originalOf, postOf } from './post-versions.js';

/** What the owner reads: their timeline, a person's posts, a thread, their notifications. */

/** What reading needs of a node: whose it is, and its store (a read-only connection will do). */
export interface Reader {
  readonly did: Did;
  readonly store: Store;
}

export { postOf };

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

export type { NotificationKind } from '../store/notifications.js';

/** Who did what a notification tells of, with the names the owner knows them by. */
export interface NotifyingPerson {
  readonly did: Did;
  /** The name they chose (their actor document), when this node holds it. */
  readonly name: string | null;
  /** The name the owner gave them. */
  readonly petname: string | null;
}

export interface Notification {
  /** The activity it tells of: the reply or mention, the Like or Announce. */
  readonly object: NotificationRow;
  readonly kind: NotificationKind;
  readonly by: NotifyingPerson;
  /** For a like or boost, the owner's post it is about; null for a reply or mention (the object is the post). */
  readonly target: ApId | null;
  readonly unread: boolean;
  /** From someone the owner neither follows nor is followed by, while the owner filters those (see Preferences.filterStrangers). */
  readonly filtered: boolean;
}

export interface Notifications {
  /** Newest first, one per stored object (pages are cut on these). */
  readonly items: Notification[];
  /** How many are unread in all, not only on this page (of this list: the filtered ones are counted apart). */
  readonly unread: number;
  /** Whether notifications from strangers are filtered out of the main list (the owner's setting). */
  readonly filtering: boolean;
}

/**
 * Whether the owner knows a person, for the notification filter: they follow
 * them, or the owner accepted their follow (as the store's KNOWN_PEOPLE, store/links.ts).
 */
export function knowsPerson(node: Reader, did: Did): boolean {
  return did === node.did || node.store.follows.get(did) !== undefined || node.store.followers.get(did)?.state === 'accepted';
}

/** Whether a notification from this person is kept out of the main list now. */
export function filteredOut(node: Reader, did: Did): boolean {
  return loadPreferences(node.store.settings).filterStrangers && !knowsPerson(node, did);
}

const SEEN_SETTING = 'notifications.seen';
/** Replies a thread shows (as LinkTable.replies' default). */
const MAX_THREAD_REPLIES = 200;

export class Reading {
  constructor(
    private readonly node: Reader,
    private readonly now: () => number = Date.now,
  ) {}

  /** The owner's posts and those of everyone they follow, newest first (followers-only ones as opened here, store/opened-posts.ts). */
  timeline(page: Page): StoredObject[] {
    return this.node.store.opened.timelinePage(outboxId(this.node.did), page);
  }

  /** A person (by did:key or ap:// id) and a page of their posts. */
  person(target: string, page: Page): PersonPage {
    const did = personOf(target);
    return { did, items: this.node.store.opened.outboxPage(outboxId(did), page) };
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
    const replies = [...this.node.store.links.replies(key, MAX_THREAD_REPLIES), ...this.node.store.opened.replies(key, MAX_THREAD_REPLIES)];
    return { ancestors, post: found.stored, replies: newestFirst(replies, [], MAX_THREAD_REPLIES).reverse() };
  }

  /**
   * Replies to the owner, posts that mention them, likes and boosts of their
   * posts (not taken back), newest first. While
   * the owner filters strangers, those from people they neither follow nor
   * are followed by are kept apart: `filtered` lists only those.
   */
  notifications(page: Page, opts: { filtered?: boolean } = {}): Notifications {
    const since = this.seen();
    const filtering = loadPreferences(this.node.store.settings).filterStrangers;
    const filter: NotificationFilter = opts.filtered === true ? 'strangers' : filtering ? 'known' : 'all';
    // Without the setting nothing is filtered: the filtered view is empty, not a second copy of the list.
    const rows = opts.filtered === true && !filtering ? [] : this.node.store.notifications.page(this.node.did, page, filter);
    const people = new Map<Did, NotifyingPerson>();
    const by = (did: Did): NotifyingPerson => people.get(did) ?? people.set(did, this.namesOf(did)).get(did)!;
    return {
      items: rows.map((object) => ({
        object,
        kind: object.kind,
        by: by(object.owner),
        target: object.target,
        unread: object.created > since,
        filtered: opts.filtered === true,
      })),
      unread: opts.filtered === true && !filtering ? 0 : this.node.store.notifications.unread(this.node.did, since, filter),
      filtering,
    };
  }

  /** Marks every notification so far read. */
  markNotificationsRead(): { unread: number } {
    this.node.store.settings.set(SEEN_SETTING, String(this.now()));
    const filtering = loadPreferences(this.node.store.settings).filterStrangers;
    return { unread: this.node.store.notifications.unread(this.node.did, this.seen(), filtering ? 'known' : 'all') };
  }

  private namesOf(did: Did): NotifyingPerson {
    const actor = this.node.store.objects.byId(actorId(did));
    const name = actor === undefined ? undefined : parseBody(actor).name;
    return {
      did,
      name: typeof name === 'string' && name.trim() !== '' ? name.trim().slice(0, 200) : null,
      petname: this.node.store.petnames.get(did)?.name ?? null,
    };
  }

  private seen(): number {
    return Number(this.node.store.settings.get(SEEN_SETTING) ?? 0);
  }

  /** A post stored whole, or carried by a stored Create or an envelope opened here, with its newest version (an edit may say what it answers). */
  private postAt(key: ApId): { stored: StoredObject; note: JsonObject } | undefined {
    const original = originalOf(this.node.store, key);
    if (original) return { stored: original.stored, note: newestVersion(this.node.store, key)?.note ?? original.note };
    // A followers-only post opened here (its followers-only versions are not edited: node/interactions.ts).
    const opened = this.node.store.opened.byNote(key);
    const note = opened && postOf(opened);
    return opened && note && { stored: opened, note };
  }
}
