import { actorId } from '../core/apid.js';
import { checkCarried } from '../core/carried-documents.js';
import { fail } from '../core/errors.js';
import type { Examined } from '../core/examine.js';
import { FORUM_POST, forumPathOf, PAPERS } from '../core/forum.js';
import { papersFactsOf } from '../core/forum-papers.js';
import type { Limits } from '../core/limits.js';
import type { ApId, Did, JsonObject } from '../core/types.js';
import { checkVerdicts, PUBLISH } from './chain-verdicts.js';
import { forumRefusesSigner } from './forum-acceptance.js';
import type { Store } from './store.js';

/**
 * Hosted accounts in forums (issue 13): the forum's chain runs from its root
 * to the account's key P, but the account's node signs with its delegate key
 * K_P, which P certified to `publish` in its name. A forum object signed by
 * K_P is taken as P's when both hold at its time: root -> P for the
 * capability its path names, P -> K_P for `publish` (not revoked, not
 * expired); and then the forum's own rules about P apply (bans, node-root
 * blocks, admitted roots: store/forum-acceptance.ts). The documents that
 * prove P -> K_P reach forum nodes in the forum's scope, carried by papers
 * (core/forum-papers.ts). No answer is kept here: each question reads the
 * chain verdicts and vouches, whose caches their own writes clear.
 */

/** Accounts one key may act for, looked at: a delegate key is certified by its account alone, so this is a bound, not a need. */
const ACCOUNTS_PER_KEY = 4;

export interface ForumAction {
  readonly signer: Did;
  readonly forum: Did;
  readonly capability: string;
  readonly id: ApId;
  readonly created: number;
  /** This node's order of arrival (Infinity: arriving now). */
  readonly row: number;
  readonly maxDepth: number;
}

/**
 * The account `signer` acts for in the forum, its chains checked at the
 * object's time. Undefined when the key is no delegate of any member (the
 * caller's wrong-key); throws the refusal (revoked, expired, blocked,
 * wrong-root, banned…) when it is one and may not act now.
 */
export function authorizeForAccount(store: Store, a: ForumAction): Did | undefined {
  let last: unknown;
  for (const account of store.authority.rootsOf(a.signer, ACCOUNTS_PER_KEY)) {
    const publish = store.authority.verdictsFor(a.signer, account, PUBLISH, a.maxDepth, a.created);
    const member = store.authority.verdictsFor(account, a.forum, a.capability, a.maxDepth, a.created);
    if (publish.length === 0 || member.length === 0) continue;
    try {
      checkVerdicts(publish, actorId(account), a.created, a.row);
      checkVerdicts(member, a.id, a.created, a.row);
      const refusal = forumRefusesSigner(store, a.forum, account, a.created, a.row);
      if (refusal !== undefined) throw refusal;
      return account;
    } catch (e) {
      last = e;
    }
  }
  if (last !== undefined) throw last;
  return undefined;
}

/** Who a forum object is by, for readers: the account a delegate key signed it for, else its signer. */
export function forumAuthorOf(store: Store, o: { signer: Did; owner: Did; id: ApId; created: number; n: number }, maxDepth: number): Did {
  const capability = FORUM_POST;
  if (store.authority.verdictsFor(o.signer, o.owner, capability, maxDepth).length > 0) return o.signer;
  try {
    return authorizeForAccount(store, { signer: o.signer, forum: o.owner, capability, id: o.id, created: o.created, row: o.n, maxDepth }) ?? o.signer;
  } catch {
    // Only asked of what stillValid let through: a refusal here names the signer, as a reader would see no account.
    return o.signer;
  }
}

// Asked of every object: a search first, as forumCapabilityOf does.
export const isPapersId = (id: string): boolean => id.includes(PAPERS) && forumPathOf(id)?.what === 'papers';

/**
 * May these papers enter the forum's scope? Their signer must be the node
 * root that vouches for the account (as the carried actor says, taken in
 * first), and the account a member the forum takes objects of. So only an
 * account's own node carries its papers, and only for a forum it belongs to.
 */
export function authorizePapers(store: Store, r: { signer: Did; owner: Did; id: ApId; created: number; body: string }, row: number, maxDepth: number): void {
  const { account } = papersFactsOf(JSON.parse(r.body) as JsonObject);
  const root = store.accountVouches.rootOf(account, r.created);
  if (root !== r.signer) {
    fail(
      'unauthorized',
      `the papers of ${account} in ${r.owner} are signed by ${r.signer}, not by the node root that vouches for it (${root ?? 'none known here'})`,
    );
  }
  const member = store.authority.verdictsFor(account, r.owner, FORUM_POST, maxDepth, r.created);
  if (member.length === 0) fail('wrong-key', `the papers are for ${account}, which holds no certificate from ${r.owner}`);
  checkVerdicts(member, r.id, r.created, row);
  const refusal = forumRefusesSigner(store, r.owner, account, r.created, row);
  if (refusal !== undefined) throw refusal;
}

/** The documents papers carry, examined and checked to be the account's own (as an inbox delivery's are); empty for anything else. */
export function papersCarried(e: Examined, limits: Limits): Examined[] {
  if (e.kind !== 'object' || !isPapersId(e.record.id)) return [];
  const facts = papersFactsOf(JSON.parse(e.record.body) as JsonObject);
  return checkCarried(facts.carried, { owner: facts.account, signer: facts.delegate }, limits);
}
