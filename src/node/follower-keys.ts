import { reasonOf, type Logger } from '../core/log.js';
import { EPOCH_KEY_TYPE } from '../core/follower-keys.js';
import { FOLLOWER_KEYS_CHECK_MS } from '../core/constants.js';
import type { ObjectRecord } from '../core/examine.js';
import type { Digest } from '../core/types.js';
import type { KithNode } from './kith-node.js';
import { KeyAgreement } from './key-agreement.js';
import { FollowerEpochs } from './follower-epochs.js';
import { FollowersReading } from './followers-reading.js';
import { SEALED_TYPE } from './sealed.js';

/** Activities after which the approved followers may have changed (an approval, a removal, an unfollow). */
const FOLLOW_CHANGES = new Set(['Accept', 'Reject', 'Undo', 'Follow']);

/**
 * Keeps follower keys current on a node: the key-agreement key rotated on
 * schedule, the epoch in line with the approved followers (a new one when a
 * follower leaves, renewal before expiry), and key objects given to this
 * person opened as they arrive (by sync or push), and the followers-only
 * posts they open kept for reading (./followers-reading.ts). The work runs one task at
 * a time, so two changes never start two epochs.
 */
export class FollowerKeys {
  readonly agreement: KeyAgreement;
  readonly epochs: FollowerEpochs;
  /** Followers-only posts opened as they (or their keys) arrive, for the reading views. */
  readonly reading: FollowersReading;
  private chain: Promise<unknown> = Promise.resolve();
  private timer: NodeJS.Timeout | undefined;
  private readonly stopHook: () => void;

  constructor(
    private readonly node: KithNode,
    private readonly log: Logger,
    now: () => number = Date.now,
    push: (digest: Digest) => Promise<number> = async () => 0,
  ) {
    this.agreement = new KeyAgreement(node, now);
    const pushLive = (digest: Digest): void =>
      void push(digest).catch((e: unknown) => log.warn(`follower keys: pushing key object ${digest} failed (the next sync brings it): ${reasonOf(e)}`));
    this.epochs = new FollowerEpochs(node, this.agreement, now, pushLive);
    this.reading = new FollowersReading(node, this.epochs, (task) => this.run(task), log);
    this.agreement.rotateIfDue();
    this.stopHook = node.ingestor.onStored((records) => this.stored(records));
  }

  /** Starts the schedule a running node keeps (rotation, renewal); commands that open the store briefly do not. */
  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), FOLLOWER_KEYS_CHECK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.reading.stop();
    this.stopHook();
  }

  /** Runs `task` after what is queued; a failure is logged, never lost. */
  run<T>(task: () => Promise<T>): Promise<T> {
    const next = this.chain.then(task);
    this.chain = next.catch((e: unknown) => this.log.warn(`follower keys: ${reasonOf(e)}`));
    return next;
  }

  /** Resolves when every queued task has run. */
  settled(): Promise<unknown> {
    return this.chain;
  }

  private check(): void {
    void this.run(async () => {
      this.agreement.rotateIfDue();
      await this.epochs.reconcile();
      await this.epochs.receiveStored((reason) => this.log.warn(`follower keys: ${reason}`));
      await this.reading.pass();
    });
  }

  private stored(records: readonly ObjectRecord[]): void {
    const mine = records.some((r) => r.type === EPOCH_KEY_TYPE && r.owner !== this.node.did);
    const follows = records.some((r) => FOLLOW_CHANGES.has(r.type));
    if (mine) void this.run(() => this.epochs.receiveStored((reason) => this.log.warn(`follower keys: ${reason}`)));
    if (follows) void this.run(() => this.epochs.reconcile());
    // Queued after the keys it may need: a key and the posts under it often arrive in one sync.
    if (mine || records.some((r) => r.type === SEALED_TYPE)) this.reading.schedule();
  }
}
