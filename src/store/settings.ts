import type { Db } from './database.js';

/** Small key/value settings the node keeps (its identity DID, profile, limits). */
export class SettingsTable {
  private readonly getStmt;
  private readonly setStmt;
  constructor(db: Db) {
    this.getStmt = db.prepare('SELECT value FROM settings WHERE key = ?');
    this.setStmt = db.prepare('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
  }
  get(key: string): string | undefined {
    return (this.getStmt.get(key) as { value: string } | undefined)?.value;
  }
  set(key: string, value: string): void {
    this.setStmt.run(key, value);
  }
}

/** Counts refused input by reason code, so an operator can see what is being thrown at the node. */
export class RefusalCounter {
  private readonly bumpStmt;
  private readonly listStmt;
  constructor(db: Db) {
    this.bumpStmt = db.prepare(
      `INSERT INTO refusals (code, count, last_reason, last_at) VALUES (?, 1, ?, ?)
       ON CONFLICT (code) DO UPDATE SET count = count + 1, last_reason = excluded.last_reason, last_at = excluded.last_at`,
    );
    this.listStmt = db.prepare('SELECT code, count, last_reason AS lastReason, last_at AS lastAt FROM refusals ORDER BY code');
  }
  record(code: string, reason: string, at = Date.now()): void {
    this.bumpStmt.run(code, reason.slice(0, 500), at);
  }
  list(): { code: string; count: number; lastReason: string; lastAt: number }[] {
    return this.listStmt.all() as { code: string; count: number; lastReason: string; lastAt: number }[];
  }
}

/** Keys this node holds, public facts only. */
export class KeyTable {
  private readonly addStmt;
  private readonly byRoleStmt;
  constructor(db: Db) {
    this.addStmt = db.prepare('INSERT INTO keys (did, role, file, created) VALUES (?, ?, ?, ?)');
    this.byRoleStmt = db.prepare('SELECT did, role, file, created FROM keys WHERE role = ? ORDER BY created');
  }
  add(did: string, role: string, file: string, created = Date.now()): void {
    this.addStmt.run(did, role, file, created);
  }
  byRole(role: string): { did: string; role: string; file: string; created: number }[] {
    return this.byRoleStmt.all(role) as { did: string; role: string; file: string; created: number }[];
  }
}
