import { KithError } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { outboxId } from '../core/apid.js';
import { buildCheckpointWith, checkAgainst, checkpointBytes, checkpointHash, type Checkpoint, type HeldItems } from '../core/checkpoint.js';
import type { Digest } from '../core/types.js';
import { CHECKPOINT_MIN_ITEMS, CHECKPOINT_STALE_ITEMS } from '../core/constants.js';
import type { KithNode } from './kith-node.js';
import { short } from './network-log.js';

/**
 * Checkpoints on this node: the one it signs of its person's own scope, and
 * the ones it received with followed scopes and serves on. The author's node
 * signs when a peer asks for its scope and the latest checkpoint is missing
 * or CHECKPOINT_STALE_ITEMS or more items behind (and the scope has at least
 * CHECKPOINT_MIN_ITEMS): a sync server is where a new follower's large sync
 * begins, and signing there costs one hash over the scope, only as often as
 * the scope grows by that much.
 *
 * A checkpoint is offered only while it holds for what this node serves: an
 * item stored since with an earlier time, or one deleted, makes it fail, and
 * then it is not offered (the author's node signs a new one).
 */
export class Checkpointing {
  /** Whether the held checkpoint of a scope holds, by the scope's generation when it was judged. */
  private readonly judged = new Map<string, { generation: number; body: string | undefined }>();

  constructor(
    private readonly node: KithNode,
    private readonly log: Logger,
  ) {}

  /** The checkpoint of `scope` to offer a peer, as its bytes, or undefined when there is none that holds. */
  offer(scope: string): string | undefined {
    const store = this.node.store;
    const generation = store.objects.generation(scope);
    const hit = this.judged.get(scope);
    if (hit && hit.generation === generation) return hit.body;
    let body: string | undefined;
    try {
      body = scope === outboxId(this.node.did) ? this.own(scope) : this.heldThatHolds(scope);
    } catch (e) {
      if (!(e instanceof KithError)) throw e;
      this.log.info(`no checkpoint of ${short(scope)} is offered: ${e.message}`);
    }
    this.judged.set(scope, { generation, body });
    return body;
  }

  /** This person's own scope: the held checkpoint while it is fresh, else a new one over everything held. */
  private own(scope: string): string | undefined {
    const store = this.node.store;
    const index = store.scopeIndexes.index(scope);
    if (index.size < CHECKPOINT_MIN_ITEMS) return undefined;
    const held = store.checkpoints.latestParsed(scope);
    if (held && index.size - held.count < CHECKPOINT_STALE_ITEMS) {
      try {
        checkAgainst(held, index, []);
        return checkpointBytes(held);
      } catch (e) {
        if (!(e instanceof KithError)) throw e;
        this.log.info(`the last checkpoint of this node's scope no longer holds, so a new one is signed: ${e.message}`);
      }
    }
    const last = index.size - 1;
    const cp = buildCheckpointWith((doc) => this.node.sign(doc), {
      actor: this.node.did,
      count: index.size,
      last: { created: index.createdAt(last), digest: index.digestAt(last) },
      hash: checkpointHashOf(index),
    });
    store.checkpoints.keep(cp);
    this.log.info(`signed a checkpoint of this node's scope: ${cp.count} item(s)`);
    return checkpointBytes(cp);
  }

  /** A followed scope: the checkpoint received with it, while it holds for what this node holds. */
  private heldThatHolds(scope: string): string | undefined {
    const store = this.node.store;
    const held = store.checkpoints.latestParsed(scope);
    if (held === undefined) return undefined;
    checkAgainst(held, store.scopeIndexes.index(scope), []);
    return checkpointBytes(held);
  }

  /**
   * Whether a peer's checkpoint may be used: throws the refusal when its
   * signer may not speak for its actor (revoked, say); false when this node
   * holds no certificate for the signer yet, so cannot tell (the sync then
   * checks every proof, as without a checkpoint).
   */
  authorize(cp: Checkpoint): boolean {
    try {
      this.node.ingestor.authorizeCheckpoint(cp);
      return true;
    } catch (e) {
      if (e instanceof KithError && e.code === 'wrong-key') {
        this.log.info(`not using the checkpoint of ${short(cp.scope)}, as this node cannot tell yet whether its signer may speak for it: ${reasonOf(e)}`);
        return false;
      }
      throw e;
    }
  }
}

function checkpointHashOf(index: HeldItems): Digest {
  return checkpointHash(
    index.size,
    (i) => index.createdAt(i),
    (i) => index.digestAt(i),
  );
}
