import { INBOX_CARRIED } from '../core/constants.js';
import { actorId } from '../core/apid.js';
import { KithError } from '../core/errors.js';
import { byteLength } from '../core/limits.js';
import type { Logger } from '../core/log.js';
import type { Did, Digest, JsonObject } from '../core/types.js';
import { PUBLISH } from '../store/ingest.js';
import type { KithNode } from './kith-node.js';
import type { Store } from '../store/store.js';

/**
 * What a delivery of the owner's carries, for a recipient that may not
 * follow them (core/carried-documents.ts has the rules it is checked by):
 * for an activity a device key signed, the certificates from the owner to
 * that key and the revocations of them this node holds, without which the
 * activity cannot be taken in there; then, if it still fits, the owner's
 * newest actor document, so the recipient can name them.
 */
export function carriedFor(node: KithNode, activity: Digest, log?: Logger): JsonObject[] {
  const store = node.store;
  const bodies: string[] = [];
  let bytes = 2;
  const add = (more: readonly string[]): boolean => {
    const size = more.reduce((n, b) => n + byteLength(b) + 1, 0);
    if (bodies.length + more.length > INBOX_CARRIED.MAX_DOCUMENTS || bytes + size > INBOX_CARRIED.MAX_BYTES) return false;
    bodies.push(...more);
    bytes += size;
    return true;
  };
  const stored = store.objects.byDigest(activity);
  if (stored !== undefined && stored.signer !== stored.owner) {
    const chain = chainBodies(store, stored.owner, stored.signer);
    if (!add(chain)) {
      log?.warn(
        `inbox: the ${chain.length} certificate(s) and revocation(s) of ${stored.signer} do not fit in a delivery (${INBOX_CARRIED.MAX_DOCUMENTS} documents, ${INBOX_CARRIED.MAX_BYTES} bytes); it goes without them`,
      );
    }
  }
  // The activity's owner: the node's person, or an account it hosts (whose activities its delegate key signs).
  const actor = store.objects.byId(actorId(stored?.owner ?? node.did));
  if (actor !== undefined) add([actor.body]);
  return bodies.map((b) => JSON.parse(b) as JsonObject);
}

/** The signed certificates of a chain from `owner` to `signer` that grants it, the newest first, root first, then the revocations held of its links. */
export function chainBodies(store: Store, owner: Did, signer: Did): string[] {
  const verdicts = store.authority.verdictsFor(signer, owner, PUBLISH, INBOX_CARRIED.MAX_DOCUMENTS);
  const verdict = verdicts.find((v) => !(v.grant instanceof KithError));
  if (verdict === undefined || verdict.grant instanceof KithError) return [];
  const out = verdict.grant.links.map((c) => JSON.stringify(c.doc));
  const revocations = new Set<string>();
  for (const f of verdict.revocations) {
    if (revocations.has(f.id)) continue;
    revocations.add(f.id);
    const body = store.objects.byId(f.id)?.body;
    if (body !== undefined) out.push(body);
  }
  return out;
}
