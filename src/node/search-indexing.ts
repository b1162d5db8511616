import { reasonOf, type Logger } from '../core/log.js';
import { SEARCH_INDEX_DELAY_MS, SEARCH_INDEX_SLICE } from '../core/constants.js';
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

  constructor(
    private readonly search: SearchTable,
    private readonly log: Logger,
  ) {}

  /** Something was stored (or the store was opened with a queue left by a stop): index it soon. */
  schedule(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(() => this.run(), SEARCH_INDEX_DELAY_MS).unref();
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
    let taken: number;
    try {
      taken = this.search.indexPending(SEARCH_INDEX_SLICE);
    } catch (e) {
      // The queue keeps the posts: the next write, or a search, tries again.
      this.log.error(`indexing stored posts for search failed; they stay queued: ${reasonOf(e)}`);
      return;
    }
    if (taken === SEARCH_INDEX_SLICE) this.timer = setImmediate(() => this.run()).unref();
  }
}
