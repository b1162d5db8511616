import { KithError } from '../core/errors.js';
import type { Did } from '../core/types.js';
import type { Store } from './store.js';

/**
 * The one place that decides whether a forum refuses a key that holds a
 * valid chain from its root: ingest asks it for every forum object signed by
 * a key other than the root's, on the way in and on the way out. It weighs
 * the forum's ban records, then the node roots it blocks or admits alone
 * (issue 13 item 5): a key an account certificate vouches for (store/
 * account-vouches.ts) is refused when its root is blocked, or missing from
 * the forum's list of admitted roots. A self-rooted key has no node root,
 * so neither rule touches it: the list is about accounts, and a self-rooted
 * person still needs the membership certificate every member needs.
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
  const root = store.accountVouches.rootOf(signer, created);
  if (root === undefined) return undefined;
  if (store.forums.rootBlockAgainst(forum, root, created, row) !== undefined) {
    return new KithError(
      'blocked',
      `${signer} is an account vouched for by the node root ${root}, which the forum ${forum} blocks; nothing new of its accounts is taken in there`,
    );
  }
  const admitted = store.forums.admittedRoots(forum, created, row);
  if (admitted !== undefined && !admitted.includes(root)) {
    return new KithError(
      'wrong-root',
      `${signer} is an account vouched for by the node root ${root}; the forum ${forum} admits only accounts under ${admitted.join(', ')} (and self-rooted people)`,
    );
  }
  return undefined;
}

/**
 * Read-time rule for what was stored before a node-root block (or before a
 * list of admitted roots left its root out): like a person's mute, the
 * forum's readers leave such accounts' earlier posts out while the block
 * stands, and see them again once it is lifted. Uncached, so any connection
 * may ask it.
 */
export function forumHidesAuthor(store: Store, forum: Did, signer: Did): boolean {
  const root = store.accountVouches.rootNow(signer);
  if (root === undefined) return false;
  if (store.forums.rootBlocked(forum, root)) return true;
  const admitted = store.forums.admittedRoots(forum);
  return admitted !== undefined && !admitted.includes(root);
}
