import { randomUUID } from 'node:crypto';
import { actorId, apId, outboxId } from './apid.js';
import { AS_CONTEXT, isoNow } from './as2.js';
import { parseDid } from './didkey.js';
import { fail } from './errors.js';
import { PAPERS, PAPERS_TYPE } from './forum.js';
import { isJsonObject, type Did, type Json, type JsonObject } from './types.js';

/**
 * A hosted account in a forum (issue 13). The account's key P is the
 * member; its node posts for it with a delegate key K_P under P's `publish`
 * certificate. A forum node that never followed P holds neither that
 * certificate, nor its revocations, nor P's actor (which names the node root
 * vouching for P), so the account's node puts them in the forum's own scope:
 * a papers object, signed by the node root that vouches for P, carrying
 * P's signed documents (checked as an inbox delivery's are:
 * core/carried-documents.ts). They travel with the forum to every node that
 * keeps it; each node takes the carried documents in before the papers.
 */

export interface PapersFacts {
  /** The account (the member) whose documents are carried. */
  readonly account: Did;
  /** The key its node posts for it with: the carried certificates run from the account to it. */
  readonly delegate: Did;
  /** P's signed documents: the publish certificate(s), their revocations, P's actor. */
  readonly carried: Json;
}

/** Papers for `account` in `forum`, unsigned (the vouching node root signs them). */
export function buildForumPapers(forum: Did, account: Did, delegate: Did, carried: readonly JsonObject[], now = Date.now()): JsonObject {
  const group = actorId(forum);
  return {
    '@context': [...AS_CONTEXT],
    id: apId(forum, `${PAPERS}${randomUUID()}`),
    type: PAPERS_TYPE,
    actor: group,
    audience: group,
    target: outboxId(forum),
    object: actorId(account),
    kithDelegate: delegate,
    kithCarried: [...carried],
    published: isoNow(now),
    to: [group],
  };
}

/** What papers say: whose documents they carry, and up to which key. Throws malformed on anything else. */
export function papersFactsOf(doc: JsonObject): PapersFacts {
  if (doc.type !== PAPERS_TYPE) fail('malformed', `a hosted account's papers are a ${PAPERS_TYPE}`);
  const object = typeof doc.object === 'string' && doc.object.endsWith('/actor') ? doc.object.slice('ap://'.length, -'/actor'.length) : '';
  const account = parseDid(object);
  const delegate = parseDid(typeof doc.kithDelegate === 'string' ? doc.kithDelegate : '');
  if (!Array.isArray(doc.kithCarried) || doc.kithCarried.length === 0 || !doc.kithCarried.every(isJsonObject)) {
    fail('malformed', "papers carry the account's signed documents in kithCarried, a non-empty list");
  }
  return { account, delegate, carried: doc.kithCarried };
}
