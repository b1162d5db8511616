import type { Db } from './database.js';
import { searchableOf, type Searchable } from '../core/searchable.js';

/**
 * The SQL functions through which the search triggers (migration 8) read a
 * post's words and hashtags out of its signed body.
 */

/** One body at a time is asked for twice (words, then tags): it is parsed once. */
let last: { body: string; value: Searchable | undefined } | undefined;

function searchable(body: unknown): Searchable | undefined {
  if (typeof body !== 'string') return undefined;
  if (last?.body !== body) last = { body, value: searchableOf(body) };
  return last.value;
}

/**
 * The SQL functions the search triggers and migration 8 call. Registered on
 * every connection before migrations run: a connection without them cannot
 * write objects (the triggers name them), which is meant, since a row written
 * there would be missing from the index.
 */
export function registerSearchFunctions(db: Db): void {
  db.function('kith_post_text', { deterministic: true }, (body: unknown) => searchable(body)?.text ?? null);
  db.function('kith_post_tags', { deterministic: true }, (body: unknown) => searchable(body)?.tags ?? null);
}
