import { outboxId } from '../src/core/apid.js';
import type { Did } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { tempDir } from './helpers.js';

/** A person's service on a fresh home, no network: the forum tests' nodes. */
export function forumPerson(prefix = 'kith-forum-'): KithService {
  return new KithService(KithNode.init(tempDir(prefix)).node);
}

/** Hands `to` everything `from` holds of a scope (a forum's, a person's), as a sync of it would. */
export function replicate(from: KithService, to: KithService, owner: Did): void {
  const rows = from.node.store.db
    .prepare('SELECT o.body FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? ORDER BY o.n')
    .pluck()
    .all(outboxId(owner)) as string[];
  to.node.ingestor.ingestMany(rows, outboxId(owner));
}
