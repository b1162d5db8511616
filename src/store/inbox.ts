import type { Db } from './database.js';
import type { Did } from '../core/types.js';

/** A sealed delivery kept for someone else, as a holder stores it. */
export interface HeldRow {
  readonly n: number;
  readonly recipient: Did;
  readonly sender: Did;
  readonly created: number;
  readonly envelope: string;
}

/** What a holder may keep: the caps the table checks before a row goes in. */
export interface HoldLimits {
  readonly perRecipient: number;
  readonly perSender: number;
}

/**
 * Deliveries this node holds for people whose nodes are away, sealed to them:
 * bounded per recipient and per sender, dropped once claimed or expired.
 */
export class HeldDeliveries {
  private readonly insertStmt;
  private readonly byRecipientStmt;
  private readonly countRecipientStmt;
  private readonly countSenderStmt;
  private readonly deleteStmt;
  private readonly expireStmt;
  private readonly countStmt;
  private readonly hasStmt;

  constructor(private readonly db: Db) {
    this.insertStmt = db.prepare('INSERT OR IGNORE INTO held_deliveries (recipient, sender, created, received, hash, envelope) VALUES (?, ?, ?, ?, ?, ?)');
    this.byRecipientStmt = db.prepare('SELECT n, recipient, sender, created, envelope FROM held_deliveries WHERE recipient = ? ORDER BY n LIMIT ?');
    this.countRecipientStmt = db.prepare('SELECT COUNT(*) FROM held_deliveries WHERE recipient = ?').pluck();
    this.countSenderStmt = db.prepare('SELECT COUNT(*) FROM held_deliveries WHERE sender = ?').pluck();
    this.deleteStmt = db.prepare('DELETE FROM held_deliveries WHERE n = ? AND recipient = ?');
    this.expireStmt = db.prepare('DELETE FROM held_deliveries WHERE received < ?');
    this.countStmt = db.prepare('SELECT COUNT(*) FROM held_deliveries').pluck();
    this.hasStmt = db.prepare('SELECT 1 FROM held_deliveries WHERE hash = ?').pluck();
  }

  /**
   * Keeps a delivery unless a cap is reached: 'held', 'duplicate' (the same
   * sealed bytes are here already), or which cap stopped it.
   */
  hold(
    row: { recipient: Did; sender: Did; created: number; hash: string; envelope: string },
    limits: HoldLimits,
    now = Date.now(),
  ): 'held' | 'duplicate' | 'recipient-full' | 'sender-full' {
    return this.db.transaction(() => {
      if (this.hasStmt.get(row.hash) !== undefined) return 'duplicate' as const;
      if ((this.countRecipientStmt.get(row.recipient) as number) >= limits.perRecipient) return 'recipient-full' as const;
      if ((this.countSenderStmt.get(row.sender) as number) >= limits.perSender) return 'sender-full' as const;
      this.insertStmt.run(row.recipient, row.sender, row.created, now, row.hash, row.envelope);
      return 'held' as const;
    })();
  }

  /** The oldest deliveries held for a person, at most `limit`. */
  for(recipient: Did, limit: number): HeldRow[] {
    return this.byRecipientStmt.all(recipient, limit) as HeldRow[];
  }

  countFor(recipient: Did): number {
    return this.countRecipientStmt.get(recipient) as number;
  }

  count(): number {
    return this.countStmt.get() as number;
  }

  /** Drops deliveries the recipient took (only theirs: a claim cannot remove what is held for someone else). */
  remove(recipient: Did, ns: readonly number[]): number {
    let removed = 0;
    this.db.transaction(() => {
      for (const n of ns) removed += this.deleteStmt.run(n, recipient).changes;
    })();
    return removed;
  }

  /** Drops what was received before `before`; returns how many. */
  expire(before: number): number {
    return this.expireStmt.run(before).changes;
  }
}

/** An activity of the owner's on its way to one person. */
export interface OutgoingRow {
  readonly n: number;
  readonly recipient: Did;
  readonly digest: string;
  readonly body: string;
  readonly queued: number;
  readonly attempts: number;
  readonly nextAt: number;
  readonly lastError: string | null;
}

/** Deliveries waiting to go out, kept across restarts until delivered, held, refused or expired. */
export class OutgoingDeliveries {
  private readonly addStmt;
  private readonly dueStmt;
  private readonly getStmt;
  private readonly doneStmt;
  private readonly retryStmt;
  private readonly countStmt;
  private readonly nextStmt;
  private readonly listStmt;
  private readonly recipientsStmt;
  private readonly wakeStmt;

  constructor(db: Db) {
    const cols = 'n, recipient, digest, body, queued, attempts, next_at AS nextAt, last_error AS lastError';
    this.addStmt = db.prepare(
      'INSERT INTO outgoing_deliveries (recipient, digest, body, queued, next_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (digest, recipient) DO NOTHING',
    );
    this.dueStmt = db.prepare(`SELECT ${cols} FROM outgoing_deliveries WHERE next_at <= ? ORDER BY next_at LIMIT ?`);
    this.getStmt = db.prepare(`SELECT ${cols} FROM outgoing_deliveries WHERE digest = ? AND recipient = ?`);
    this.doneStmt = db.prepare('DELETE FROM outgoing_deliveries WHERE n = ?');
    this.retryStmt = db.prepare('UPDATE outgoing_deliveries SET attempts = attempts + 1, next_at = ?, last_error = ? WHERE n = ?');
    this.countStmt = db.prepare('SELECT COUNT(*) FROM outgoing_deliveries').pluck();
    this.nextStmt = db.prepare('SELECT MIN(next_at) FROM outgoing_deliveries').pluck();
    this.listStmt = db.prepare(`SELECT ${cols} FROM outgoing_deliveries ORDER BY n LIMIT ?`);
    this.recipientsStmt = db.prepare('SELECT DISTINCT recipient FROM outgoing_deliveries').pluck();
    this.wakeStmt = db.prepare('UPDATE outgoing_deliveries SET next_at = ? WHERE recipient = ? AND next_at > ?');
  }

  /** Makes what waits for a person due now (their node, or a holder of theirs, just came into reach); returns how many. */
  wake(recipient: Did, now = Date.now()): number {
    return this.wakeStmt.run(now, recipient, now).changes;
  }

  /** Queues a delivery (once per activity and recipient); returns its row. */
  add(recipient: Did, digest: string, body: string, now = Date.now()): OutgoingRow {
    this.addStmt.run(recipient, digest, body, now, now);
    return this.getStmt.get(digest, recipient) as OutgoingRow;
  }

  due(now: number, limit: number): OutgoingRow[] {
    return this.dueStmt.all(now, limit) as OutgoingRow[];
  }

  done(n: number): void {
    this.doneStmt.run(n);
  }

  retryAt(n: number, nextAt: number, reason: string): void {
    this.retryStmt.run(nextAt, reason.slice(0, 300), n);
  }

  count(): number {
    return this.countStmt.get() as number;
  }

  /** When the next waiting delivery is due, or undefined when none waits. */
  nextDue(): number | undefined {
    return (this.nextStmt.get() as number | null) ?? undefined;
  }

  list(limit = 100): OutgoingRow[] {
    return this.listStmt.all(limit) as OutgoingRow[];
  }

  /** Everyone something waits for. */
  recipients(): Did[] {
    return this.recipientsStmt.all() as Did[];
  }
}
