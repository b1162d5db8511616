import { fail, KithError } from '../core/errors.js';
import { actorId, apIdParts, isApId } from '../core/apid.js';
import { AS_CONTEXT, isoNow, newObjectId } from '../core/as2.js';
import { canonicalize } from '../core/jcs.js';
import { sha256Hex } from '../core/bytes.js';
import { reasonOf } from '../core/log.js';
import { FORUM } from '../core/forum-constants.js';
import { forumPathOf, FORUM_ADMIT, FORUM_POST } from '../core/forum.js';
import { isJsonObject, type ApId, type Did, type JsonObject } from '../core/types.js';
import type { ObjectRecord } from '../core/examine.js';
import type { Ingested } from '../store/ingest.js';
import type { ReportRow } from '../store/forum-reports.js';
import type { ForumActing } from './forum-acting.js';
import type { ActDone, ForumModeration } from './forum-moderation.js';
import type { DeliveryOutcome } from './inbox.js';

/**
 * Reports of forum posts (issue 13). A member signs an AS2 Flag of a post
 * with a short reason; it travels through the inbox as a join request does,
 * to the forum (its owner's node) and its moderators, sealed when a peer
 * holds it, and is kept in store/forum-reports.ts, never in a scope: a
 * scope is served to whoever syncs it, and a reporter's name must stay
 * with the moderators. They dismiss a report, or act on it (hide the post,
 * ban its author) with the usual signed act, which settles every open
 * report of that post (or author) on each moderator's node it reaches.
 */

export const REPORT_TYPE = 'Flag';

export interface ReportView {
  readonly id: ApId;
  readonly forum: Did;
  readonly reporter: Did;
  readonly post: ApId;
  /** Whose the post is, and what it says, when this node holds it. */
  readonly author: Did | null;
  readonly text: string | null;
  readonly reason: string;
  readonly reported: string;
  readonly state: ReportRow['state'];
}

export interface ReportSent {
  readonly forum: Did;
  readonly id: ApId;
  readonly deliveries: DeliveryOutcome[];
}

export class ForumReports {
  private readonly listeners = new Set<(forum: Did) => void>();

  constructor(
    private readonly acting: ForumActing,
    private readonly moderation: ForumModeration,
  ) {}

  private get node() {
    return this.acting.node;
  }

  /** Reports a post of a forum this person belongs to, to its owner's node and moderators. */
  async report(name: string, post: string, reason: string): Promise<ReportSent> {
    const forum = this.acting.forumOf(name);
    this.acting.actor(forum);
    const postId = this.postOf(forum, post);
    const why = checkReason(reason);
    if (!this.isMember(forum, this.node.did)) fail('unauthorized', 'only a member of the forum can report its posts; join it first');
    this.checkRate(forum, this.node.did);
    const moderators = this.acting.moderators(forum);
    const flag: JsonObject = {
      '@context': [...AS_CONTEXT],
      id: newObjectId(this.node.did),
      type: REPORT_TYPE,
      actor: this.node.actorId,
      object: postId,
      content: why,
      to: [actorId(forum), ...moderators.map((d) => actorId(d))],
      published: isoNow(this.acting.now()),
    };
    const signed = this.node.sign(flag);
    // Every ingest check, without storing it in this person's scope (which anyone may sync).
    const checked = this.node.check(signed);
    const body = canonicalize(signed);
    // A moderator's own report waits in its own queue too; anyone else's node keeps it as sent (what its rate limit counts).
    const state = this.moderates(forum) ? 'open' : 'sent';
    this.node.store.forumReports.add({ ...this.row(forum, checked.id, postId, why, checked.created, body), reporter: this.node.did, state });
    const recipients = [forum, ...moderators].filter((d) => d !== this.node.did && !(d === forum && this.acting.owns(forum)));
    return { forum, id: checked.id, deliveries: await this.deliver(sha256Hex(body), body, recipients) };
  }

  /**
   * A report delivered through the inbox (inbox-intake.ts hands Flags here
   * instead of to ingest). Refused, with nothing stored: not for a forum this
   * node moderates (not-addressed), a reporter who is no member
   * (unauthorized), a reason too long or empty, too many from one reporter.
   */
  receive(doc: JsonObject): Ingested {
    const checked = this.node.check(doc);
    if (checked.type !== REPORT_TYPE) fail('malformed', `a report is a ${REPORT_TYPE}`);
    if (!isApId(doc.object)) fail('malformed', 'a report names the reported post by its ap:// id in `object`');
    const forum = apIdParts(doc.object).did;
    const postId = this.postOf(forum, doc.object);
    if (!this.moderates(forum)) fail('not-addressed', `this node neither owns nor moderates ${forum}, so it takes no reports of it`);
    const why = checkReason(doc.content);
    if (!this.isMember(forum, checked.owner)) fail('unauthorized', `${checked.owner} is no member of ${forum} (or is banned), so their report is not taken`);
    this.checkRate(forum, checked.owner);
    const body = canonicalize(doc);
    const row = { ...this.row(forum, checked.id, postId, why, checked.created, body), reporter: checked.owner, state: 'open' as const };
    const added = this.node.store.forumReports.add(row);
    if (added) {
      this.acting.log.info(`forums: a post of ${forum} was reported; see: forum reports`);
      for (const fn of this.listeners) fn(forum);
    }
    return {
      status: added ? 'stored' : 'duplicate',
      digest: checked.digest,
      id: checked.id,
      type: checked.type,
      owner: checked.owner,
      created: checked.created,
    };
  }

  /** Calls `fn` with the forum each time a report of one arrives here; returns the function that stops it. */
  onReceived(fn: (forum: Did) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  /** Open reports, newest first, for the owner and moderators. */
  reports(name: string): ReportView[] {
    const forum = this.acting.forumOf(name);
    this.acting.actor(forum);
    if (!this.moderates(forum)) fail('unauthorized', 'only the forum\u2019s owner and its moderators see its reports');
    return this.node.store.forumReports.list(forum, 'open', FORUM.MAX_LISTED).map((r) => this.view(r));
  }

  dismiss(name: string, id: string): ReportView {
    const r = this.openReport(name, id);
    this.node.store.forumReports.settle(r.id, 'dismissed');
    return this.view({ ...r, state: 'dismissed' });
  }

  /** Acts on a report: hides the post or bans its author (the signed act in the log), and settles it. */
  act(name: string, id: string, action: string): { report: ReportView; act: ActDone } {
    const r = this.openReport(name, id);
    let done: ActDone;
    if (action === 'hide') done = this.moderation.hide(r.forum, r.post);
    else if (action === 'ban') {
      if (r.author === null) fail('not-found', 'this node does not hold the reported post, so its author is unknown; hide it instead');
      done = this.moderation.ban(r.forum, r.author);
    } else return fail('malformed', `a report is acted on by "hide" or "ban", not "${String(action).slice(0, 20)}"`);
    this.node.store.forumReports.settle(r.id, 'acted');
    return { report: this.view({ ...r, state: 'acted' }), act: done };
  }

  /** A hide or ban, made here or arriving from elsewhere, settles the open reports it answers. */
  stored(records: readonly ObjectRecord[]): void {
    for (const r of records) {
      const path = forumPathOf(r.id);
      if (path?.what !== 'act' || (path.kind !== 'hide' && path.kind !== 'ban')) continue;
      const about = (JSON.parse(r.body) as JsonObject).object;
      if (!isApId(about)) continue;
      if (path.kind === 'hide') this.node.store.forumReports.closeAbout(r.owner, about, null);
      else this.node.store.forumReports.closeAbout(r.owner, null, apIdParts(about).did);
    }
  }

  private row(forum: Did, id: ApId, post: ApId, reason: string, created: number, body: string): Omit<ReportRow, 'reporter' | 'state'> {
    const stored = this.node.store.objects.byId(post);
    return { id, forum, post, author: stored?.signer ?? null, reason, created, body };
  }

  private openReport(name: string, id: string): ReportRow {
    const forum = this.acting.forumOf(name);
    if (!this.moderates(forum)) fail('unauthorized', 'only the forum\u2019s owner and its moderators answer its reports');
    const r = typeof id === 'string' ? this.node.store.forumReports.get(forum, id) : undefined;
    if (r === undefined || r.state === 'sent') return fail('not-found', `no report ${String(id).slice(0, 80)} of this forum is here`);
    if (r.state !== 'open') fail('conflict', `that report was ${r.state} already`);
    return r;
  }

  private view(r: ReportRow): ReportView {
    const stored = this.node.store.objects.byId(r.post);
    let text: string | null = null;
    if (stored !== undefined) {
      const note = (JSON.parse(stored.body) as JsonObject).object;
      const source = isJsonObject(note) && isJsonObject(note.source) ? note.source.content : undefined;
      text = typeof source === 'string' ? source : null;
    }
    return {
      id: r.id,
      forum: r.forum,
      reporter: r.reporter,
      post: r.post,
      author: r.author,
      text,
      reason: r.reason,
      reported: new Date(r.created).toISOString(),
      state: r.state,
    };
  }

  private postOf(forum: Did, post: unknown): ApId {
    if (!isApId(post) || apIdParts(post).did !== forum || forumPathOf(post)?.what !== 'post') {
      fail('malformed', 'a report names the ap:// id of a post of the forum (as forum read prints it)');
    }
    return apIdParts(post).key;
  }

  /** The owner's node, or a moderator's (holding admit under the root, valid now). */
  private moderates(forum: Did): boolean {
    if (this.acting.owns(forum)) return true;
    try {
      this.acting.ownGrant(forum, FORUM_ADMIT);
      return true;
    } catch (e) {
      if (!(e instanceof KithError)) throw e;
      return false;
    }
  }

  private isMember(forum: Did, did: Did): boolean {
    if (this.node.store.forums.banned(forum, did)) return false;
    if (did === this.acting.actor(forum).owner) return true;
    const now = this.acting.now();
    for (const { grant, revocations } of this.node.store.authority.verdictsFor(did, forum, FORUM_POST, 8)) {
      if (grant instanceof KithError || revocations.some((r) => r.cutOff <= now)) continue;
      if (grant.notBefore <= now && grant.expires > now) return true;
    }
    return false;
  }

  private checkRate(forum: Did, reporter: Did): void {
    const since = this.acting.now() - FORUM.REPORT_WINDOW_MS;
    if (this.node.store.forumReports.countSince(reporter, forum, since) >= FORUM.REPORTS_PER_WINDOW) {
      fail('rate-limited', `${FORUM.REPORTS_PER_WINDOW} reports in this forum in the last hour is the limit; try again later`);
    }
  }

  /** Queued like any delivery (it survives a restart), but of a body kept out of the objects table. */
  private async deliver(digest: ReturnType<typeof sha256Hex>, body: string, recipients: readonly Did[]): Promise<DeliveryOutcome[]> {
    if (recipients.length === 0) return [];
    const now = Date.now();
    const rows = this.node.store.transaction(() => [...new Set(recipients)].map((d) => this.node.store.outgoing.add(d, digest, body, now)));
    const network = this.acting.link.current;
    if (network === undefined)
      return rows.map((r) => ({ recipient: r.recipient, status: 'queued', reason: 'the node is not running; it is delivered once the node starts' }));
    try {
      return await network.deliveries.attempt(rows);
    } catch (e) {
      this.acting.log.warn(`forums: delivering a report failed; it is tried again: ${reasonOf(e)}`);
      return rows.map((r) => ({ recipient: r.recipient, status: 'queued', reason: reasonOf(e) }));
    }
  }
}

function checkReason(reason: unknown): string {
  const t = typeof reason === 'string' ? reason.trim() : '';
  if (t.length === 0) fail('malformed', 'a report gives a short reason');
  if (t.length > FORUM.MAX_REPORT_CHARS) fail('too-large', `a report's reason is at most ${FORUM.MAX_REPORT_CHARS} characters`);
  return t;
}
