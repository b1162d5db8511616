import { outboxId } from '../src/core/apid.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import type { Ed25519KeyPair } from '../src/core/ed25519.js';
import { FORUM_POST } from '../src/core/forum.js';
import { signDocument } from '../src/core/proof.js';
import { STATEMENT_CONTEXT, isoOf, statementId } from '../src/core/statement.js';
import type { Did, JsonObject } from '../src/core/types.js';
import type { Ingested } from '../src/store/ingest.js';
import type { KithError } from '../src/core/errors.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { tempDir } from './helpers.js';

/** Forum fixtures shared by the forum tests, in process and across node processes. */

const DAY = 24 * 3600_000;

/** A person's service on a fresh home, no network: the in-process forum tests' nodes. */
export function forumPerson(prefix = 'kith-forum-'): KithService {
  return new KithService(KithNode.init(tempDir(prefix)).node);
}

/**
 * Hands `to` everything `from` holds of a scope (a forum's, or a person's
 * outbox), in the order `from` took it in, as a sync of that scope would:
 * one batch through ingest, each object judged on its own. Returns what
 * ingest said of each.
 */
export function replicate(from: KithService, to: KithService, owner: Did): (Ingested | KithError)[] {
  const rows = from.node.store.db
    .prepare('SELECT o.body FROM objects o JOIN scopes s ON s.n = o.scope WHERE s.name = ? ORDER BY o.n')
    .pluck()
    .all(outboxId(owner)) as string[];
  return to.node.ingestor.ingestMany(rows, outboxId(owner));
}

/** A certificate signed as issueCertificate would, without its checks of the grant: what a forger can make. */
export function rawCertificate(key: Ed25519KeyPair, f: { subject: Did; resource: string; parent?: string }): JsonObject {
  const issuer = didFromPublicKey(key.publicKey);
  const second = Math.floor(Date.now() / 1000) * 1000;
  const doc: JsonObject = {
    '@context': [...STATEMENT_CONTEXT],
    type: 'KithCertificate',
    id: statementId(issuer, 'certs', undefined, 'certificate'),
    issuer,
    subject: f.subject,
    capability: [FORUM_POST],
    resource: f.resource,
    notBefore: isoOf(second),
    expires: isoOf(second + DAY),
  };
  if (f.parent !== undefined) doc.parent = f.parent;
  return signDocument(doc, key, { proofPurpose: 'capabilityDelegation' });
}
