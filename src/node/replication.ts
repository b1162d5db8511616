import { nextTurn, WORK_SLICE } from './next-turn.js';
import type { Connection, PeerId, Stream } from '@libp2p/interface';
import { KithError, isPeerFault, type ErrorCode } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { backoffDelay } from '../core/backoff.js';
import {
  CHECKPOINT_REFUSALS_KEPT,
  CONTACT_SYNC_DELAY_MS,
  PROGRESS_LOG_INTERVAL_MS,
  RESUME_SYNC_MAX_MS,
  RESUME_SYNC_MIN_MS,
  SEARCH_HOLD_MIN_NEED,
  SYNC_DIAL_TIMEOUT_MS,
} from '../core/constants.js';
import type { Did } from '../core/types.js';
import type { KithHost } from '../net/host.js';
import { frameStream } from '../net/frames.js';
import {
  CheckpointRefusal,
  SYNC_PROTOCOL,
  serveSync,
  syncScope,
  type CheckpointUse,
  type IngestOutcome,
  type SyncClientOptions,
  type SyncLimits,
  type SyncProgress,
  type SyncResult,
} from '../net/sync.js';
import type { Ingested } from '../store/ingest.js';
import { Checkpointing } from './checkpointing.js';
import { admitExamined } from './verify-pool.js';
import type { KithNode } from './kith-node.js';
import type { Discovery } from './discovery.js';
import { whoAnswersFor, type PeerDiscipline } from './peer-discipline.js';
import { short } from './network-log.js';

/**
 * Replication of scopes by set reconciliation: serving the scopes this node
 * keeps, and pulling the ones it follows from peers — on contact, on a timer
 * (see Network), and from everyone who keeps a scope when it is first followed.
 * A sync cut short while its peer stays connected is tried again, waiting
 * longer after each failure; one cut short by a lost connection resumes on
 * the next contact (see Redial).
 */

export interface SyncSummary {
  readonly peer: string;
  readonly scope: string;
  readonly ok: boolean;
  readonly result?: SyncResult;
  readonly error?: string;
  /** Why it failed, when a KithError said ('not-found': the peer does not keep the scope). */
  readonly code?: ErrorCode;
}

/** A sync under way: how far it is, from whom, of what. */
export type ScopeSyncProgress = SyncProgress & { readonly peer: string; readonly scope: string };

export interface ReplicationHooks {
  readonly synced: (summary: SyncSummary) => void;
  readonly progress: (p: ScopeSyncProgress) => void;
  /** An object a peer sent was stored (for keeping the media it links). */
  readonly stored: (owner: Did, body: string) => void;
}

export class Replication {
  private readonly syncing = new Map<string, Promise<SyncSummary[]>>();
  private readonly progress = new Map<string, ScopeSyncProgress>();
  /** Syncs cut short with peers still connected, by peer: how often in a row, and the timer of the next try. */
  private readonly unfinished = new Map<string, { failures: number; timer: NodeJS.Timeout }>();
  private readonly checkpointing: Checkpointing;
  /** Peer and scope pairs whose checkpoint was refused: the next sync of them checks every proof, so a stale one cannot stall it. */
  private readonly checkpointRefused = new Set<string>();
  /** Large syncs under way, by peer and scope: each holds search indexing until it ends. */
  private readonly searchHolds = new Map<string, () => void>();

  constructor(
    private readonly node: KithNode,
    private readonly host: KithHost,
    private readonly log: Logger,
    private readonly limits: SyncLimits,
    private readonly discipline: PeerDiscipline,
    private readonly discovery: Discovery,
    private readonly hooks: ReplicationHooks,
  ) {
    this.checkpointing = new Checkpointing(node, log);
  }

  async start(): Promise<void> {
    await this.host.handle(SYNC_PROTOCOL, (stream, connection) => this.serve(stream, connection));
    this.host.addEventListener('peer:connect', (evt) => {
      // New contact: catch up on everything we follow (a peer that does not keep a scope just says so).
      const peer = evt.detail;
      setTimeout(() => {
        this.catchUp(peer).catch((e: unknown) => this.log.warn(`syncing with ${short(peer.toString())} on contact failed: ${reasonOf(e)}`));
      }, CONTACT_SYNC_DELAY_MS).unref();
    });
  }

  /** Waits for syncs under way; they end with their streams once the host stops, and what they stored stays. */
  async stop(): Promise<void> {
    for (const { timer } of this.unfinished.values()) clearTimeout(timer);
    this.unfinished.clear();
    await Promise.allSettled(this.syncing.values());
  }

  /** Syncs under way, for the node's status. */
  underway(): ScopeSyncProgress[] {
    return [...this.progress.values()];
  }

  private serve(stream: Stream, connection: Connection): void {
    const peer = connection.remotePeer;
    if (!this.discipline.admitSync(peer)) {
      stream.abort(new Error('too many sync requests'));
      return;
    }
    const frames = frameStream(stream);
    const serves = new Set(this.node.scopes());
    serveSync(frames, {
      store: this.node.store,
      serves: (s) => serves.has(s),
      limits: this.limits,
      stillValid: (o) => this.node.ingestor.stillValid(o),
      checkpoint: (s) => this.checkpointing.offer(s),
    })
      .then((r) => {
        if (r.sent > 0) this.log.info(`served ${r.sent} object(s) of ${r.scopes.length} scope(s) to ${peer.toString()}`);
      })
      .catch((e: unknown) => this.discipline.blame(peer, e, () => frames.reset('protocol violation')));
  }

  /**
   * Pulls scopes from one peer, one after another on one stream. A sync of
   * the same peer and scopes already running is shared, not repeated.
   */
  syncWith(peer: PeerId, scopes: readonly string[]): Promise<SyncSummary[]> {
    const key = `${peer.toString()} ${scopes.join(' ')}`;
    const running = this.syncing.get(key);
    if (running) return running;
    const p = this.runSync(peer, scopes)
      .then((summaries) => {
        this.resumeLater(peer, summaries);
        return summaries;
      })
      .finally(() => this.syncing.delete(key));
    this.syncing.set(key, p);
    return p;
  }

  /**
   * Schedules another try of the scopes a sync left unfinished, while the
   * peer stays connected and unpunished; a lost connection is Redial's part
   * (the next contact syncs everything). A full success ends the retries.
   */
  private resumeLater(peer: PeerId, summaries: readonly SyncSummary[]): void {
    const key = peer.toString();
    const previous = this.unfinished.get(key);
    clearTimeout(previous?.timer);
    this.unfinished.delete(key);
    const scopes = summaries.filter((s) => !s.ok && s.code !== 'not-found').map((s) => s.scope);
    if (scopes.length === 0 || this.host.status !== 'started') return;
    if (this.host.getConnections(peer).length === 0 || this.host.services.penalties.isDenied(peer)) return;
    const failures = (previous?.failures ?? 0) + 1;
    const wait = backoffDelay(failures, RESUME_SYNC_MIN_MS, RESUME_SYNC_MAX_MS);
    const timer = setTimeout(() => {
      this.syncWith(peer, scopes).catch((e: unknown) => this.log.info(`resuming the sync with ${short(key)} failed: ${reasonOf(e)}`));
    }, wait);
    timer.unref();
    this.unfinished.set(key, { failures, timer });
    this.log.info(`sync of ${scopes.length} scope(s) with ${short(key)} unfinished; trying again in ${Math.round(wait / 1000)} s`);
  }

  /** Pulls everything this node follows from every connected peer, one peer at a time. */
  async resyncAll(): Promise<void> {
    for (const peer of this.host.getPeers()) await this.catchUp(peer);
  }

  /**
   * Finds everyone who keeps a scope and pulls it from each: first the peer
   * named by the caller and those already connected; then the ones the DHT
   * names. When a direct peer kept the scope, the caller has what it needs at
   * once and the DHT part goes on in the background (a lookup waits up to ten
   * seconds for answers that may never come); otherwise the DHT is all there is.
   */
  async syncEverywhere(scope: string, hint?: PeerId): Promise<SyncSummary[]> {
    const tried = new Set<string>([this.host.peerId.toString()]);
    const syncAll = async (peers: Iterable<PeerId>): Promise<SyncSummary[]> => {
      const fresh = [...peers].filter((p) => !tried.has(p.toString()));
      for (const p of fresh) tried.add(p.toString());
      return (await Promise.all(fresh.map((p) => this.syncWith(p, [scope])))).flat();
    };
    const fromDht = async (): Promise<SyncSummary[]> => syncAll(await this.discovery.findScopeHolders(scope));
    const direct = await syncAll([...(hint ? [hint] : []), ...this.host.getPeers()]);
    if (direct.some((r) => r.ok)) {
      void this.discovery.announceScope(scope);
      void fromDht().catch((e: unknown) => this.log.info(`looking for more holders of ${short(scope)} failed: ${reasonOf(e)}`));
      return direct;
    }
    const results = [...direct, ...(await fromDht())];
    if (results.some((r) => r.ok)) void this.discovery.announceScope(scope);
    return results;
  }

  /** Pulls everything this node follows from one peer (one that does not keep a scope just says so). */
  async catchUp(peer: PeerId): Promise<void> {
    const scopes = this.node.pulledScopes();
    if (scopes.length > 0) await this.syncWith(peer, scopes);
  }

  private async runSync(peer: PeerId, scopes: readonly string[]): Promise<SyncSummary[]> {
    const who = peer.toString();
    let frames;
    try {
      frames = frameStream(await this.host.dialProtocol(peer, SYNC_PROTOCOL, { signal: AbortSignal.timeout(SYNC_DIAL_TIMEOUT_MS) }));
    } catch (e) {
      return scopes.map((scope) => ({ peer: who, scope, ok: false, error: reasonOf(e) }));
    }
    const out: SyncSummary[] = [];
    for (const scope of scopes) {
      try {
        const result = await syncScope(frames, scope, this.clientOptions(who, scope));
        this.node.store.peers.synced(scope, who, result.stored, result.bytesIn + result.bytesOut);
        if (result.needed > 0 || result.theyLack > 0) {
          this.log.info(
            `synced ${short(scope)} with ${short(who)}: ${result.stored} new, they lack ${result.theyLack}; ` +
              `${result.rounds} round(s), ${result.bytesIn + result.bytesOut} bytes`,
          );
        }
        const summary = { peer: who, scope, ok: true, result };
        this.hooks.synced(summary);
        out.push(summary);
      } catch (e) {
        out.push({ peer: who, scope, ok: false, error: reasonOf(e), ...(e instanceof KithError ? { code: e.code } : {}) });
        // The peer does not keep this scope: ask about the next one on the same stream.
        if (e instanceof KithError && e.code === 'not-found') continue;
        if (e instanceof CheckpointRefusal) {
          // The next try does without it. A peer may pass on in good faith what its author signed
          // (a checkpoint that leaves out what reached us another way, say); only a forged one is its doing.
          this.refusedCheckpoint(`${who} ${scope}`);
          this.node.store.refusals.record(e.code, e.message, Date.now());
          this.log.warn(`refused the checkpoint of ${short(scope)} from ${short(who)}: ${e.message}`);
          if (!isPeerFault(e)) continue;
        }
        this.discipline.blame(peer, e, () => frames.reset('protocol violation'));
        for (const rest of scopes.slice(out.length)) out.push({ peer: who, scope: rest, ok: false, error: 'not tried: the stream failed' });
        return out;
      } finally {
        this.progress.delete(scope);
        this.searchHolds.get(`${who} ${scope}`)?.();
        this.searchHolds.delete(`${who} ${scope}`);
      }
    }
    await frames.close().catch((e: unknown) => this.log.debug(`closing the sync stream to ${short(who)} failed: ${reasonOf(e)}`));
    return out;
  }

  private refusedCheckpoint(key: string): void {
    if (this.checkpointRefused.size >= CHECKPOINT_REFUSALS_KEPT) this.checkpointRefused.delete(this.checkpointRefused.values().next().value as string);
    this.checkpointRefused.add(key);
  }

  private checkpointUse(peer: string, scope: string): CheckpointUse | undefined {
    if (this.checkpointRefused.delete(`${peer} ${scope}`)) return undefined;
    const pool = this.node.pool;
    return {
      authorize: (cp) => this.checkpointing.authorize(cp),
      examineCovered: (bodies, digests) => pool.examine(bodies, digests),
      admitCovered: async (examined, bodies) => this.outcome(peer, scope, bodies, await admitExamined(this.node.ingestor, examined, scope)),
      keep: (cp) => {
        if (this.node.store.checkpoints.keep(cp)) this.log.info(`keeping the checkpoint of ${short(scope)} from ${short(peer)}: ${cp.count} item(s)`);
      },
    };
  }

  private clientOptions(peer: string, scope: string): SyncClientOptions {
    let lastLog = 0;
    const checkpoints = this.checkpointUse(peer, scope);
    return {
      store: this.node.store,
      limits: this.limits,
      ...(checkpoints ? { checkpoints } : {}),
      ingest: async (bodies) => this.outcome(peer, scope, bodies, await this.node.ingestMany(bodies, { scope })),
      onProgress: (p) => {
        const key = `${peer} ${scope}`;
        if (p.phase === 'fetching' && p.needed >= SEARCH_HOLD_MIN_NEED && !this.searchHolds.has(key)) this.searchHolds.set(key, this.node.holdSearchIndexing());
        const progress = { ...p, peer, scope };
        this.progress.set(scope, progress);
        this.hooks.progress(progress);
        if (p.phase === 'fetching' && Date.now() - lastLog > PROGRESS_LOG_INTERVAL_MS) {
          lastLog = Date.now();
          this.log.info(`syncing ${short(scope)} from ${short(peer)}: ${p.received}/${p.needed}`);
        }
      },
    };
  }

  /** What ingesting a peer's objects came to, and whom the refusals are held against. */
  private async outcome(peer: string, scope: string, bodies: string[], results: (Ingested | KithError)[]): Promise<IngestOutcome> {
    let stored = 0;
    let refused = 0;
    let firstError: KithError | undefined;
    const authors: { owner: Did; reason: string; count: number }[] = [];
    const ingestor = this.node.ingestor;
    let judged = 0;
    for (const [i, r] of results.entries()) {
      if (r instanceof KithError) {
        refused++;
        // Forged, broken or off-scope objects are the peer's doing; what their author signed, or
        // what is revoked or expired, the peer may hold in good faith. Once the peer is to blame,
        // judging the rest (a proof checked again for each) changes nothing.
        if (firstError !== undefined) continue;
        if (++judged % WORK_SLICE === 0) await nextTurn();
        const blame = whoAnswersFor(r, bodies[i]!, { limits: ingestor.limits, stillValid: (o) => ingestor.stillValid(o), scope });
        if (blame.who === 'sender') firstError ??= r;
        else if (blame.who === 'author') {
          const seen = authors.find((a) => a.owner === blame.owner);
          if (seen) seen.count++;
          else authors.push({ owner: blame.owner, reason: r.message, count: 1 });
        }
      } else if (r.status === 'stored') {
        stored++;
        this.hooks.stored(r.owner, bodies[i]!);
      }
    }
    for (const a of authors) {
      this.log.warn(
        `refused ${a.count} object(s) of ${short(a.owner)} from ${short(peer)}, as their author signed them (not held against the peer): ${a.reason}`,
      );
    }
    return firstError ? { stored, refused, firstError } : { stored, refused };
  }
}
