import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';

export type ReportState = 'open' | 'dismissed' | 'acted' | 'sent';

export interface ReportRow {
  readonly id: ApId;
  readonly forum: Did;
  readonly reporter: Did;
  /** The reported post's ap:// id. */
  readonly post: ApId;
  /** Whose key signed the post, when this node holds it. */
  readonly author: Did | null;
  readonly reason: string;
  readonly created: number;
  readonly state: ReportState;
  /** The signed Flag, for `kith verify`. */
  readonly body: string;
}

/**
 * Reports of forum posts (migration 17): on moderators' nodes the ones
 * delivered to them, on a reporter's node the ones it sent. Never in a
 * scope, so never served to a peer.
 */
export class ForumReportTable {
  private readonly addStmt;
  private readonly listStmt;
  private readonly getStmt;
  private readonly setStmt;
  private readonly closeStmt;
  private readonly countStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare(
      'INSERT OR IGNORE INTO forum_reports (id, forum, reporter, post, author, reason, created, state, body) VALUES (@id, @forum, @reporter, @post, @author, @reason, @created, @state, @body)',
    );
    this.listStmt = db.prepare('SELECT * FROM forum_reports WHERE forum = ? AND state = ? ORDER BY created DESC LIMIT ?');
    this.getStmt = db.prepare('SELECT * FROM forum_reports WHERE id = ? AND forum = ?');
    this.setStmt = db.prepare("UPDATE forum_reports SET state = ? WHERE id = ? AND state = 'open'");
    this.closeStmt = db.prepare("UPDATE forum_reports SET state = 'acted' WHERE forum = ? AND state = 'open' AND (post = ? OR author = ?)");
    this.countStmt = db.prepare('SELECT COUNT(*) FROM forum_reports WHERE reporter = ? AND forum = ? AND created > ?').pluck();
  }

  /** False when a report of that id is here already. */
  add(r: ReportRow): boolean {
    return this.addStmt.run(r).changes === 1;
  }

  list(forum: Did, state: ReportState, limit: number): ReportRow[] {
    return this.listStmt.all(forum, state, limit) as ReportRow[];
  }

  get(forum: Did, id: string): ReportRow | undefined {
    return this.getStmt.get(id, forum) as ReportRow | undefined;
  }

  /** Settles an open report; false when it is not open (settled already). */
  settle(id: string, state: 'dismissed' | 'acted'): boolean {
    return this.setStmt.run(state, id).changes === 1;
  }

  /** Every open report of a post, or of any post by an author: acted on (a hide or ban arrived). */
  closeAbout(forum: Did, post: string | null, author: Did | null): number {
    return this.closeStmt.run(forum, post, author).changes;
  }

  /** Reports by `reporter` in the forum since `since` (whatever became of them). */
  countSince(reporter: Did, forum: Did, since: number): number {
    return this.countStmt.get(reporter, forum, since) as number;
  }
}
