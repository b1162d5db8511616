import { fail } from '../core/errors.js';
import { isDid } from '../core/didkey.js';
import { reasonOf } from '../core/log.js';
import { searchQuery } from '../core/searchable.js';
import { SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT } from '../core/constants.js';
import type { Did } from '../core/types.js';
import type { StoredObject } from '../store/objects.js';
import { newestFirst } from '../store/opened-posts.js';
import type { KithNode } from './kith-node.js';
import { personOf } from './people.js';

/** Search over what this node holds: posts by words and hashtags, people by name, petname or DID. */

export interface SearchResults {
  /** The words that counted (punctuation-only words are left out). */
  readonly terms: readonly string[];
  /** People, best match first; a DID searched for comes first. */
  readonly people: Did[];
  /** Posts, newest first: followers-only ones too, those this node opened. */
  readonly posts: StoredObject[];
}

/** A DID, an ap:// id, or the start of a did:key (with or without "did:key:"). */
const DID_START = /^(did:key:)?z[1-9A-HJ-NP-Za-km-z]{2,}$/;

function limitOf(limit: number | undefined): number {
  if (limit === undefined) return SEARCH_DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > SEARCH_MAX_LIMIT) fail('malformed', `a search limit is a whole number from 1 to ${SEARCH_MAX_LIMIT}`);
  return limit;
}

export class Search {
  constructor(private readonly node: KithNode) {}

  search(query: string, opts: { limit?: number | undefined } = {}): SearchResults {
    const limit = limitOf(opts.limit);
    const q = searchQuery(query);
    const store = this.node.store.search;
    const people: Did[] = [...this.peopleByKey(query.trim(), limit)];
    for (const did of this.matching(() => store.people(q.people, limit))) if (!people.includes(did)) people.push(did);
    return {
      terms: q.terms,
      people: people.slice(0, limit),
      posts: this.matching(() => newestFirst(store.posts(q.posts, limit), this.node.store.opened.posts(q.posts, limit), limit)),
    };
  }

  /** People named by a DID or an ap:// id, or whose DID starts with what was typed. */
  private peopleByKey(q: string, limit: number): Did[] {
    // An ap:// id that names no key is refused here with the reason (personOf says which part is wrong).
    if (/^ap(\+ef61)?:\/\//i.test(q) || isDid(q)) return [personOf(q)];
    if (!DID_START.test(q)) return [];
    return this.node.store.search.peopleByDid(q.startsWith('did:key:') ? q : `did:key:${q}`, limit);
  }

  /**
   * Runs an FTS5 search. The expression is built from quoted words only
   * (core/searchable.ts), so SQLite has nothing to refuse; if it ever does,
   * the person gets that as a refusal of their query, not a failure.
   */
  private matching<T>(run: () => T[]): T[] {
    try {
      return run();
    } catch (e) {
      if ((e as { code?: unknown }).code === 'SQLITE_ERROR') fail('malformed', `this search could not be run: ${reasonOf(e)}`);
      throw e;
    }
  }
}
