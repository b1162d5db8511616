import { fail } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { INBOX } from '../core/constants.js';
import { recipientsOf } from '../core/inbox-address.js';
import { isDigest } from '../core/bytes.js';
import { parseDid } from '../core/didkey.js';
import { type Did, type Digest, type JsonObject } from '../core/types.js';
import type { OutgoingRow } from '../store/inbox.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';
import type { DeliveryOutcome } from './inbox-outgoing.js';

export type { DeliveryOutcome } from './inbox-outgoing.js';

/**
 * Delivery of the owner's activities to the people they address, as the
 * application uses it: a reply or a mention when it is posted, and (next) a
 * Follow, an Accept, a Like. Each delivery is queued in the store first, so
 * it survives a restart and goes out once the network is up; the running
 * network tries it at once and then again with back-off (inbox-outgoing.ts).
 */
export class Inbox {
  constructor(
    private readonly node: KithNode,
    private readonly link: NetworkLink,
    private readonly log: Logger,
  ) {}

  /**
   * Delivers an activity of the owner's, stored here (named by its digest),
   * to each recipient (by default everyone it addresses but the owner).
   * Answers how the first try went for each: delivered, held by peers that
   * keep the recipient's scope, queued (tried again later; also when the
   * network is not up), or failed (refused for good by their node).
   */
  async deliver(activity: Digest, recipients?: readonly Did[]): Promise<DeliveryOutcome[]> {
    const rows = this.queue(activity, recipients);
    const network = this.link.current;
    if (network === undefined) {
      return rows.map((r) => ({ recipient: r.recipient, status: 'queued', reason: 'the node is not running; it is delivered once the node starts' }));
    }
    return network.deliveries.attempt(rows);
  }

  /** Queues the deliveries of an activity and starts them without waiting (publishing must not wait on the network). Logged, never thrown. */
  deliverLater(activity: Digest, recipients?: readonly Did[]): void {
    let rows: OutgoingRow[];
    try {
      rows = this.queue(activity, recipients);
    } catch (e) {
      this.log.warn(`inbox: could not queue the deliveries of ${activity}: ${reasonOf(e)}`);
      return;
    }
    this.start(rows);
  }

  /** Queues the deliveries of an activity, in the caller's transaction if it has one (start them with `start` once it commits). */
  queued(activity: Digest, recipients?: readonly Did[]): OutgoingRow[] {
    return this.queue(activity, recipients);
  }

  /** Starts queued deliveries without waiting; what is not delivered now stays queued. Logged, never thrown. */
  start(rows: readonly OutgoingRow[]): void {
    const network = this.link.current;
    if (rows.length === 0 || network === undefined) return;
    network.deliveries.attempt([...rows]).catch((e: unknown) => this.log.warn(`inbox: delivering ${rows[0]!.digest} failed: ${reasonOf(e)}`));
  }

  /**
   * Delivers a signed document of the owner's that no scope holds (a direct
   * message, a conversation key: node/direct-messages.ts) to each recipient,
   * as deliver does; it is queued by its own body, so it goes out after a restart too.
   */
  async deliverDocument(signed: JsonObject, recipients: readonly Did[]): Promise<DeliveryOutcome[]> {
    const checked = this.node.check(signed);
    if (checked.owner !== this.node.did) fail('unauthorized', `only the owner's own documents are delivered from here, not ${checked.owner}'s`);
    const rows = this.enqueue(checked.digest, JSON.stringify(signed), recipients);
    const network = this.link.current;
    if (network === undefined) {
      return rows.map((r) => ({ recipient: r.recipient, status: 'queued', reason: 'the node is not running; it is delivered once the node starts' }));
    }
    return network.deliveries.attempt(rows);
  }

  /** Everyone but the owner an activity addresses. */
  addressed(activity: JsonObject): Did[] {
    return recipientsOf(activity).filter((d) => d !== this.node.did);
  }

  /** Deliveries waiting to go out, oldest first, and how many this node holds for others. */
  status(): { waiting: OutgoingRow[]; holding: number } {
    return { waiting: this.node.store.outgoing.list(), holding: this.node.store.held.count() };
  }

  private queue(digest: Digest, recipients?: readonly Did[]): OutgoingRow[] {
    if (!isDigest(digest)) fail('malformed', 'a delivery names a stored activity by its digest');
    const stored = this.node.store.objects.byDigest(digest);
    if (stored === undefined) return fail('not-found', `no activity ${digest} is stored here`);
    // A hosted account's too (a forum Join, say), signed by this node's key for it; its delivery carries the account's certificate.
    const hosted = this.node.store.hostedAccounts.get(stored.owner);
    if (stored.owner !== this.node.did && (hosted === undefined || hosted.removed !== null)) {
      fail('unauthorized', `only the activities of the owner and of the accounts this node hosts are delivered from here, not ${stored.owner}'s`);
    }
    return this.enqueue(digest, stored.body, recipients ?? this.addressed(JSON.parse(stored.body) as JsonObject));
  }

  private enqueue(digest: Digest, body: string, recipients: readonly Did[]): OutgoingRow[] {
    const to = recipients.map((d) => parseDid(d)).filter((d) => d !== this.node.did);
    if (to.length === 0) return [];
    if (this.node.store.outgoing.count() + to.length > INBOX.QUEUE_MAX) {
      fail('rate-limited', `${INBOX.QUEUE_MAX} deliveries already wait to go out; try again once the network has taken some`);
    }
    const now = Date.now();
    return this.node.store.transaction(() => [...new Set(to)].map((d) => this.node.store.outgoing.add(d, digest, body, now)));
  }
}
