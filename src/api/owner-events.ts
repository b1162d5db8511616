import { createHash } from 'node:crypto';
import { filteredOut, type NotificationKind } from '../node/reading.js';
import { outboxId } from '../core/apid.js';
import type { ObjectRecord } from '../core/examine.js';
import type { ApId } from '../core/types.js';
import type { KithNode } from '../node/kith-node.js';
import type { Network } from '../node/network.js';
import type { DevicePairing } from '../node/devices.js';
import type { OpenedNow } from '../node/followers-reading.js';
import { Views } from './owner-views.js';

/**
 * Live updates for the owner's devices (server-sent events): new posts for
 * the timeline, notifications, sync progress and peer counts. A revoked
 * device's streams are closed the moment it is revoked, and a session's the
 * moment it logs out (the stream itself checks its session at every ping, so
 * one that expired closes too).
 */

export type Send = (event: string, data: unknown) => void;

const sessionKey = (token: string): string => createHash('sha256').update(token).digest('base64url');

interface Client {
  readonly device: string;
  /** The session it was opened with, as a hash: the token itself is not kept. */
  readonly session: string;
  readonly send: Send;
  readonly close: () => void;
}

/** Sync progress is sent at most this often per scope; the last word (done) always goes. */
const SYNC_EVERY_MS = 250;
/**
 * Posts sent live from one stored batch. A push brings one; a sync stores
 * hundreds at a time, and devices read those (newest first, a page at a time)
 * when the sync says it is done, instead of having each pushed at them.
 */
const MAX_LIVE_POSTS = 20;
/**
 * A scope whose sync said nothing for this long is not taken to be syncing
 * any more (a sync that failed sends no last word), and its posts go out live again.
 */
const SYNC_QUIET_MS = 60_000;

export class EventHub {
  private readonly clients = new Set<Client>();
  private readonly lastSync = new Map<string, number>();
  /**
   * Scopes a sync is bringing in, and when it last said how far it got. Their
   * posts are not sent one by one: a sync stores them a slice at a time, and
   * thousands of live posts would each be laid out by every open app (a phone
   * spun for minutes). The app reads the timeline a page at a time when the
   * sync says it is done.
   */
  private readonly syncing = new Map<string, number>();
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly node: KithNode,
    devices: DevicePairing,
    /** Followers-only posts as this node opens them (node/followers-reading.ts): they go out live as posts do. */
    opened?: { onOpened(fn: (o: OpenedNow) => void): () => void },
  ) {
    this.stops.push(node.ingestor.onStored((records) => this.stored(records)));
    if (opened) this.stops.push(opened.onOpened((o) => this.opened(o)));
    const onRevoked = (d: { id: string }): void => this.closeDevice(d.id);
    devices.on('revoked', onRevoked);
    this.stops.push(() => devices.off('revoked', onRevoked));
  }

  attach(network: Network): void {
    const onProgress = (p: { scope: string; peer: string; phase: string; received: number; needed: number }): void => {
      const now = Date.now();
      this.syncing.set(p.scope, now);
      if (now - (this.lastSync.get(p.scope) ?? 0) < SYNC_EVERY_MS) return;
      this.lastSync.set(p.scope, now);
      this.broadcast('sync', { active: true, scope: p.scope, peer: p.peer, phase: p.phase, received: p.received, needed: p.needed });
    };
    const onSynced = (s: { scope: string; peer: string; result?: { received: number; needed: number } }): void => {
      this.lastSync.delete(s.scope);
      this.syncing.delete(s.scope);
      this.broadcast('sync', {
        active: false,
        scope: s.scope,
        peer: s.peer,
        phase: 'fetching',
        received: s.result?.received ?? 0,
        needed: s.result?.needed ?? 0,
      });
    };
    const onPeers = (): void => this.broadcast('peers', { connections: network.host.getConnections().length });
    network.on('sync-progress', onProgress);
    network.on('synced', onSynced);
    network.host.addEventListener('connection:open', onPeers);
    network.host.addEventListener('connection:close', onPeers);
    this.stops.push(() => {
      network.off('sync-progress', onProgress);
      network.off('synced', onSynced);
      network.host.removeEventListener('connection:open', onPeers);
      network.host.removeEventListener('connection:close', onPeers);
    });
  }

  /** A stream opened by `device` with the session `token`. Returns what removes it. */
  add(device: string, token: string, send: Send, close: () => void): () => void {
    const client: Client = { device, session: sessionKey(token), send, close };
    this.clients.add(client);
    return () => this.clients.delete(client);
  }

  get size(): number {
    return this.clients.size;
  }

  closeDevice(device: string): void {
    this.closeWhere((c) => c.device === device);
  }

  /** Closes the streams of a session that logged out. */
  closeSession(token: string): void {
    const session = sessionKey(token);
    this.closeWhere((c) => c.session === session);
  }

  private closeWhere(match: (c: Client) => boolean): void {
    for (const c of [...this.clients]) {
      if (!match(c)) continue;
      this.clients.delete(c);
      c.close();
    }
  }

  close(): void {
    for (const stop of this.stops) stop();
    for (const c of [...this.clients]) c.close();
    this.clients.clear();
  }

  /** Sends an event the owner's other parts raise (a direct message) to every open stream. */
  tell(event: string, data: unknown): void {
    this.broadcast(event, data);
  }

  /** A forum changed in a way no stored object shows (a report arrived, kept out of every scope): its screen reads it again. */
  forumChanged(forum: string): void {
    this.broadcast('forum', { forum });
  }

  private broadcast(event: string, data: unknown): void {
    for (const c of this.clients) c.send(event, data);
  }

  /** The post an activity changes, if it changes one. */
  private changedBy(r: ObjectRecord): ApId | undefined {
    if (r.type === 'Update') return r.embedded[0];
    const a = r.activity;
    if (a === undefined) return undefined;
    return a.kind === 'undo' ? this.node.store.interactions.targetOf(a.target) : a.target;
  }

  /** What a record just stored tells the owner of (as store/notifications.ts lists it), if anything. */
  private notifies(r: ObjectRecord, mine: string): { kind: NotificationKind; target: ApId | null } | undefined {
    const links = r.links.filter((l) => l.target.startsWith(mine));
    if (links.length > 0) return { kind: links.some((l) => l.kind === 'reply') ? 'reply' : 'mention', target: null };
    const a = r.activity;
    if ((a?.kind === 'like' || a?.kind === 'boost') && a.target.startsWith(mine) && !this.node.store.interactions.isUndone(r.id)) {
      return { kind: a.kind, target: a.target };
    }
    return undefined;
  }

  /** A followers-only post opened here: on the timeline when it is the owner's or of someone they follow, and told of when it answers or names them. */
  private opened(o: OpenedNow): void {
    if (this.clients.size === 0) return;
    const stored = this.node.store.opened.byNote(o.note);
    const views = new Views(this.node);
    const post = stored && views.post(stored);
    if (!stored || !post) return;
    if (o.owner === this.node.did || this.node.store.follows.get(o.owner) !== undefined) this.broadcast('post', post);
    const mine = `ap://${this.node.did}/`;
    const links = o.links.filter((l) => l.target.startsWith(mine));
    if (o.owner === this.node.did || links.length === 0 || filteredOut(this.node, o.owner)) return;
    const kind = links.some((l) => l.kind === 'reply') ? 'reply' : 'mention';
    const view = views.notification({ object: stored, kind, target: null, unread: true });
    if (view) this.broadcast('notification', view);
  }

  private stored(records: readonly ObjectRecord[]): void {
    if (this.clients.size === 0) return;
    const own = outboxId(this.node.did);
    const mine = `ap://${this.node.did}/`;
    const views = new Views(this.node);
    const postOf = (r: ObjectRecord) => {
      const stored = this.node.store.objects.byDigest(r.digest);
      return stored && views.post(stored);
    };
    const now = Date.now();
    const live = (scope: string) => now - (this.syncing.get(scope) ?? 0) >= SYNC_QUIET_MS;
    const timeline = records.filter((r) => live(r.scope) && (r.scope === own || this.node.store.follows.get(r.owner) !== undefined));
    for (const r of timeline.length <= MAX_LIVE_POSTS ? timeline : []) {
      const post = postOf(r);
      if (post) this.broadcast('post', post);
      // An edit, a delete, a like or a boost (or its undo) changes a post already on screen: its newest version and counts, or null once it is gone.
      const changed = this.changedBy(r);
      if (changed !== undefined) this.broadcast('post-changed', { id: changed, post: views.find(changed) ?? null });
    }
    // A forum this node has a part in changed (a post, a ban, an admission): its screen reads it again.
    const forums = new Set(records.filter((r) => live(r.scope) && this.node.store.forums.role(r.owner) !== undefined).map((r) => r.owner));
    for (const forum of forums) this.broadcast('forum', { forum });
    // Every reply, mention, like and boost of the owner's goes out, however large the batch: there are few of them.
    for (const r of records) {
      if (r.owner === this.node.did) continue;
      const about = this.notifies(r, mine);
      // Kept apart while the owner filters strangers: listed under the filtered view, not announced.
      if (about === undefined || filteredOut(this.node, r.owner)) continue;
      const stored = this.node.store.objects.byDigest(r.digest);
      const view = stored && views.notification({ object: stored, ...about, unread: true });
      if (view) this.broadcast('notification', view);
    }
  }
}
