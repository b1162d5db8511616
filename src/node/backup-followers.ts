import { apIdParts, isApId } from '../core/apid.js';
import { isJsonObject, type ApId, type Did } from '../core/types.js';
import type { Ingested } from '../store/ingest.js';
import type { Store } from '../store/store.js';
import { isFollowAnswerType, objectRef } from './follow-answers.js';

/**
 * A backup carries the person's signed objects, not the node's tables; who
 * follows them is written in their own answers, each an Accept or a Reject
 * of someone's Follow. Replayed oldest first, the newest answer to each
 * person stands: accepted, or rejected (a request turned down, or a follower
 * removed). A row already here that is newer than the backup's answer stays.
 * Pending requests are not in a backup: they were never answered. Returns
 * how many people's rows were set.
 */
export function restoreFollowers(store: Store, owner: Did, objects: readonly string[], results: readonly (Ingested | Error)[]): number {
  const answers: { follower: Did; followId: ApId; state: 'accepted' | 'rejected'; created: number }[] = [];
  results.forEach((r, i) => {
    if (r instanceof Error || r.owner !== owner || !isFollowAnswerType(r.type)) return;
    const doc: unknown = JSON.parse(objects[i]!);
    if (!isJsonObject(doc)) return;
    const named = objectRef(doc);
    if (!isApId(named)) return;
    const { key: followId, did: follower } = apIdParts(named);
    if (follower === owner) return;
    answers.push({ follower, followId, state: r.type === 'Accept' ? 'accepted' : 'rejected', created: r.created });
  });
  answers.sort((a, b) => a.created - b.created);
  const restored = new Set<Did>();
  for (const a of answers) {
    const held = store.followers.get(a.follower);
    if (held !== undefined && held.since > a.created) continue;
    store.followers.put(a.follower, a.followId, a.state, a.created);
    restored.add(a.follower);
  }
  return restored.size;
}
