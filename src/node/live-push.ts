import { KithError, fail } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { didOf, outboxId } from '../core/apid.js';
import { parseDid } from '../core/didkey.js';
import { parseJsonLimited } from '../core/limits.js';
import { isJsonObject, type Did } from '../core/types.js';
import { setTopicValidator, removeTopicValidator, type GossipMessage, type GossipVerdict, type KithHost } from '../net/host.js';
import type { Ingested } from '../store/ingest.js';
import type { KithNode } from './kith-node.js';
import { short } from './network-log.js';
import { whoAnswersFor } from './peer-discipline.js';

/**
 * Live push: one gossipsub topic per scope. This node publishes its new
 * objects to its own scope's topic, and takes in what arrives on the topics
 * of the scopes it keeps, each message checked (and its sender answerable
 * for it) before gossipsub passes it on.
 */

export const topicOf = (scope: string): string => `/kith/1/scope/${scope}`;

export interface LivePushHooks {
  /** An object arrived live and was stored. */
  readonly arrived: (object: Ingested, body: Uint8Array) => void;
}

export class LivePush {
  constructor(
    private readonly node: KithNode,
    private readonly host: KithHost,
    private readonly log: Logger,
    private readonly hooks: LivePushHooks,
  ) {}

  start(): void {
    for (const scope of this.node.scopes()) this.subscribe(scope);
    // Who will get our pushes: a follower's node that connects says which topics it listens to.
    const ownTopic = topicOf(outboxId(this.node.did));
    this.host.services.pubsub.addEventListener('subscription-change', (evt) => {
      for (const s of evt.detail.subscriptions) {
        if (s.topic !== ownTopic) continue;
        const peer = evt.detail.peerId.toString();
        this.log.info(s.subscribe ? `live: ${peer} listens to our posts` : `live: ${peer} stopped listening to our posts`);
      }
    });
  }

  subscribe(scope: string): void {
    const topic = topicOf(scope);
    setTopicValidator(this.host, topic, (msg) => this.validate(scope, msg), this.log);
    this.host.services.pubsub.subscribe(topic);
  }

  unsubscribe(scope: string): void {
    const topic = topicOf(scope);
    this.host.services.pubsub.unsubscribe(topic);
    removeTopicValidator(this.host, topic);
  }

  /** Pushes a new object of ours (or one we keep) to everyone subscribed to its scope; returns how many peers it reached. */
  async publish(scope: string, body: string): Promise<number> {
    const { recipients } = await this.host.services.pubsub.publish(topicOf(scope), Buffer.from(body, 'utf8'));
    return recipients.length;
  }

  private validate(scope: string, msg: GossipMessage): GossipVerdict {
    const from = short(msg.propagationSource.toString());
    let owner: Did;
    try {
      owner = ownerOf(parseJsonLimited(msg.data, this.node.ingestor.limits));
    } catch (e) {
      this.log.debug(`live: refused a message on ${short(scope)} from ${from}: ${reasonOf(e)}`);
      return 'reject';
    }
    // A topic carries one scope: anything else is off-topic, however well signed.
    if (outboxId(owner) !== scope) {
      this.log.debug(`live: refused an object of ${short(owner)} on the topic of ${short(scope)} from ${from}`);
      return 'reject';
    }
    try {
      const r = this.node.ingest(msg.data);
      if (r.status === 'duplicate') return 'ignore';
      this.log.info(`live: ${r.type} ${r.id} from ${short(owner)}`);
      this.hooks.arrived(r, msg.data);
      return 'accept';
    } catch (e) {
      if (!(e instanceof KithError)) throw e;
      // Forged or broken: the peer that passed it on answers for it. Well signed by its author, revoked,
      // or signed under a certificate we do not hold yet: not its fault; sync will bring what is missing.
      const ingestor = this.node.ingestor;
      const blame = whoAnswersFor(e, msg.data, { limits: ingestor.limits, stillValid: (o) => ingestor.stillValid(o), scope });
      if (blame.who === 'author') {
        this.log.warn(`live: refused an object of ${short(owner)} from ${from}, as its author signed it (not held against ${from}): ${e.message}`);
      } else {
        this.log.debug(`live: refused an object of ${short(owner)} from ${from}: ${e.message}`);
      }
      return blame.who === 'sender' ? 'reject' : 'ignore';
    }
  }
}

/** Whose scope an incoming object belongs to: for a certificate, whose ids it grants over; a revocation's issuer; its id's DID otherwise. */
function ownerOf(doc: unknown): Did {
  if (!isJsonObject(doc)) return fail('malformed', 'not an object');
  if (doc.type === 'KithCertificate') return didOf(doc.resource);
  if (doc.type === 'KithRevocation') return parseDid(doc.issuer);
  return didOf(doc.id);
}
