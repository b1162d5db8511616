import { apIdKey, didOf, isApId } from '../core/apid.js';
import { objectFacts, type ObjectLink } from '../core/as2.js';
import { fail, isKithError } from '../core/errors.js';
import { followersCapabilityOf } from '../core/follower-keys.js';
import { canonicalize } from '../core/jcs.js';
import { reasonOf, type Logger } from '../core/log.js';
import { OPEN_RETRY_FIRST_MS, OPEN_RETRY_MAX_MS, OPEN_SLICE } from '../core/opened-constants.js';
import { isJsonObject, type ApId, type Did, type JsonObject } from '../core/types.js';
import type { UnopenedEnvelope } from '../store/opened-posts.js';
import type { FollowerEpochs } from './follower-epochs.js';
import type { KithNode } from './kith-node.js';

/**
 * Opens the followers-only posts this node may read, once, and keeps them
 * (store/opened-posts.ts) for the reading views: on arrival, when a late
 * epoch key arrives, and, for one whose blocks are still on their way, again
 * after a wait. Decrypting and checking a post happens here, after the sync
 * that stored its envelope committed, and each post is kept in a short
 * transaction of its own: a sync's write never waits for it. An envelope of
 * an epoch whose key this node lacks (not a follower, or no longer) is
 * passed over, stays blind, and is looked at again only when keys change.
 * What was opened stays when a key goes: a removed follower keeps what it read.
 */

export type Opening = 'opened' | 'no-key' | 'waiting' | 'refused';

/** A followers-only post just opened and kept. */
export interface OpenedNow {
  readonly note: ApId;
  readonly owner: Did;
  /** Its replies and mentions. */
  readonly links: readonly ObjectLink[];
}

/** A Create carrying a post of its signer's: what a followers-only envelope must seal to be shown. */
function sealedPost(activity: JsonObject, author: Did): { note: ApId } {
  const note = activity.object;
  if (activity.type !== 'Create' || !isJsonObject(note) || !isApId(note.id) || didOf(note.id) !== author) {
    fail('malformed', 'a followers-only envelope must seal a Create of one of its author’s posts');
  }
  return { note: apIdKey(note.id) };
}

export class FollowersReading {
  private timer: NodeJS.Timeout | undefined;
  private retryMs = OPEN_RETRY_FIRST_MS;
  private stopped = false;
  /** Envelopes refused for good in this run (a capability that does not decrypt, a sealed non-post): told once, not retried. */
  private readonly refused = new Set<string>();
  private readonly listeners = new Set<(opened: OpenedNow) => void>();

  constructor(
    private readonly node: KithNode,
    private readonly epochs: FollowerEpochs,
    /** Runs a task after the follower-key work queued (keys are received there first). */
    private readonly run: <T>(task: () => Promise<T>) => Promise<T>,
    private readonly log: Logger,
  ) {}

  /** Calls `fn` with each post opened and kept, so the owner's open apps show it live. Returns the way to stop. */
  onOpened(fn: (opened: OpenedNow) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Opens what may be opened soon: something was stored, or keys changed. */
  schedule(delayMs = 0): void {
    if (this.stopped) return;
    if (this.timer !== undefined) {
      if (delayMs > 0) return;
      clearTimeout(this.timer);
    }
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.run(() => this.pass());
    }, delayMs).unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * One pass over every envelope held and not opened: opens those of epochs
   * this node holds the key of. Returns how many it opened. Envelopes whose
   * blocks have not arrived yet are tried again after a growing wait.
   */
  async pass(): Promise<number> {
    const has = this.epochs.keyring();
    let opened = 0;
    let waiting = false;
    let below = Number.MAX_SAFE_INTEGER;
    for (;;) {
      const slice = this.node.store.opened.unopened(below, OPEN_SLICE);
      for (const e of slice) {
        const r = await this.openOne(e, has);
        if (r === 'opened') opened++;
        if (r === 'waiting') waiting = true;
      }
      if (slice.length < OPEN_SLICE) break;
      below = slice[slice.length - 1]!.n;
    }
    if (waiting) {
      this.schedule(this.retryMs);
      this.retryMs = Math.min(this.retryMs * 2, OPEN_RETRY_MAX_MS);
    } else {
      this.retryMs = OPEN_RETRY_FIRST_MS;
    }
    return opened;
  }

  private tell(opened: OpenedNow): void {
    for (const fn of this.listeners) {
      try {
        fn(opened);
      } catch (e) {
        this.log.error(`a listener for opened posts failed (the post is kept): ${reasonOf(e)}`);
      }
    }
  }

  private async openOne(e: UnopenedEnvelope, has: (author: Did, epoch: number) => boolean): Promise<Opening> {
    if (this.refused.has(e.digest)) return 'refused';
    const envelope = JSON.parse(e.body) as JsonObject;
    try {
      const cap = followersCapabilityOf(envelope);
      if (cap === undefined || !has(e.owner, cap.epoch)) return 'no-key';
      const activity = await this.epochs.open(envelope, e.owner);
      if (activity === undefined) return 'no-key';
      const { note } = sealedPost(activity, e.owner);
      const facts = objectFacts(activity);
      if (!this.node.store.opened.keep({ envelope: e.n, id: facts.id, note, owner: e.owner, body: canonicalize(activity), links: facts.links }))
        return 'no-key';
      this.tell({ note, owner: e.owner, links: facts.links });
      return 'opened';
    } catch (err) {
      // Blocks not all here yet: the fetch that keeps them is under way (node/media-fetch.ts).
      if (isKithError(err, 'not-found')) return 'waiting';
      this.refused.add(e.digest);
      this.log.warn(`followers-only post ${String(envelope.id).slice(0, 120)} of ${e.owner} not opened: ${reasonOf(err)}`);
      return 'refused';
    }
  }
}
