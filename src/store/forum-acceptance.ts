import { KithError } from '../core/errors.js';
import type { Did } from '../core/types.js';
import type { Store } from './store.js';

/**
 * The one place that decides whether a forum refuses a key that holds a
 * valid chain from its root: ingest asks it for every forum object signed by
 * a key other than the root's, on the way in and on the way out. Today it
 * weighs the forum's ban records; rules that refuse whole groups of keys
 * (node roots a forum blocks, or admits alone) belong here too.
 *
 * `created` is the time the object claims, `row` this node's order of
 * arrival (Infinity for an object arriving now). Returns the refusal, or
 * undefined when the forum takes the key's object.
 */
export function forumRefusesSigner(store: Store, forum: Did, signer: Did, created: number, row: number): KithError | undefined {
  const ban = store.forums.banAgainst(forum, signer, created, row);
  if (ban !== undefined) {
    const when = new Date(created).toISOString();
    return new KithError(
      'revoked',
      `${signer} is banned from the forum ${forum} (a ban record stands from before this, which claims ${when}); nothing new of theirs is taken in`,
    );
  }
  return undefined;
}
