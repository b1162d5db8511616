import { reasonOf, type Logger } from '../core/log.js';
import { SEARCH_INDEX_DELAY_MS, SEARCH_INDEX_HELD_MS, SEARCH_INDEX_SLICE } from '../core/constants.js';
import type { SearchTable } from '../store/search.js';

/**
 * Drains the search queue (store/search.ts) on this thread, after the writes
 * that filled it committed: a slice per turn of the event loop, so a sync of
 * thousands of posts is indexed in a few large transactions instead of a
 * post at a time inside each of its writes, and nothing else waits long.
 */
export class SearchIndexing {
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private stopped = false;
  private holds = 0;

  constructor(
    private readonly search: SearchTable,
    private readonly log: Logger,
  ) {}

  /** Something was stored (or the store was opened with a queue left by a stop): index it soon. */
  schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => this.run(), SEARCH_INDEX_DELAY_MS).unref();
  }

  /**
   * Holds indexing back until the returned function is called: a large sync
   * stores its objects first (they show in timelines and are served at once)
   * and has them indexed for search after, on a thread with nothing else to
   * do, instead of both taking turns on it.
   */
  hold(): () => void {
    this.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.holds--;
      if (this.holds === 0) this.schedule();
    };
  }

  stop(): void {
    this.stopped = true;
    if (this.timer === undefined) return;
    clearTimeout(this.timer as NodeJS.Timeout);
    clearImmediate(this.timer as NodeJS.Immediate);
    this.timer = undefined;
  }

  private run(): void {
    this.timer = undefined;
    if (this.stopped) return;
    if (this.holds > 0) {
      this.timer = setTimeout(() => this.run(), SEARCH_INDEX_HELD_MS).unref();
      return;
    }
    let taken: number;
    try {
      taken = this.search.indexPending(SEARCH_INDEX_SLICE);
    } catch (e) {
      // The queue keeps the posts: the next write, or a search, tries again.
      this.log.error(`indexing stored posts for search failed; they stay queued: ${reasonOf(e)}`);
      return;
    }
    // Not unref'd: Node lets the event loop block on I/O while only unref'd immediates wait, so each slice
    // waited for the next timer or packet (26,000 posts took 1.3 s to index after a sync instead of 0.3 s).
    // The queue is finite, and a node that closes stops this.
    if (taken === SEARCH_INDEX_SLICE) this.timer = setImmediate(() => this.run());
  }
}
