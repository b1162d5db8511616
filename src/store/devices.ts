import type { Db } from './database.js';
import type { Did, Digest } from '../core/types.js';

/** A device the owner paired: its key, its certificate and its name. */
export interface Device {
  readonly id: string;
  readonly did: Did;
  readonly name: string;
  readonly certificate: Digest;
  readonly created: number;
  readonly expires: number;
  readonly lastSeen: number | null;
  readonly revoked: number | null;
  /** 1 for the device of a hosted account (its key is the account's identity; it acts only as that account), 0 for the owner's. */
  readonly account: 0 | 1;
}

const COLUMNS = 'id, did, name, certificate, created, expires, last_seen AS lastSeen, revoked, account';

/** Paired devices and their sessions. A session is found by the hash of its token; the token itself is never stored. */
export class DeviceTable {
  private readonly addStmt;
  private readonly byIdStmt;
  private readonly byDidStmt;
  private readonly listStmt;
  private readonly seenStmt;
  private readonly revokeStmt;
  private readonly recertifyStmt;
  private readonly addSessionStmt;
  private readonly sessionStmt;
  private readonly dropSessionStmt;
  private readonly expireSessionsStmt;

  constructor(db: Db) {
    this.addStmt = db.prepare(
      'INSERT INTO devices (id, did, name, certificate, created, expires, account) VALUES (@id, @did, @name, @certificate, @created, @expires, @account)',
    );
    this.byIdStmt = db.prepare(`SELECT ${COLUMNS} FROM devices WHERE id = ?`);
    this.byDidStmt = db.prepare(`SELECT ${COLUMNS} FROM devices WHERE did = ?`);
    this.listStmt = db.prepare(`SELECT ${COLUMNS} FROM devices WHERE account = 0 ORDER BY revoked IS NOT NULL, created`);
    this.seenStmt = db.prepare('UPDATE devices SET last_seen = ? WHERE id = ?');
    this.revokeStmt = db.prepare('UPDATE devices SET revoked = ? WHERE id = ? AND revoked IS NULL');
    this.recertifyStmt = db.prepare('UPDATE devices SET certificate = ?, expires = ? WHERE id = ? AND revoked IS NULL');
    this.addSessionStmt = db.prepare('INSERT INTO device_sessions (token_hash, device, created, expires) VALUES (?, ?, ?, ?)');
    this.sessionStmt = db.prepare(
      `SELECT d.id, d.did, d.name, d.certificate, d.created, d.expires, d.last_seen AS lastSeen, d.revoked, d.account
       FROM device_sessions s JOIN devices d ON d.id = s.device WHERE s.token_hash = ? AND s.expires > ?`,
    );
    this.dropSessionStmt = db.prepare('DELETE FROM device_sessions WHERE token_hash = ?');
    this.expireSessionsStmt = db.prepare('DELETE FROM device_sessions WHERE expires <= ?');
  }

  add(d: Omit<Device, 'lastSeen' | 'revoked' | 'account'> & { account?: 0 | 1 }): void {
    this.addStmt.run({ account: 0, ...d });
  }

  get(id: string): Device | undefined {
    return this.byIdStmt.get(id) as Device | undefined;
  }

  byDid(did: Did): Device | undefined {
    return this.byDidStmt.get(did) as Device | undefined;
  }

  list(): Device[] {
    return this.listStmt.all() as Device[];
  }

  seen(id: string, at: number): void {
    this.seenStmt.run(at, id);
  }

  /**
   * Marks the device revoked; false if it already was. Its sessions are
   * kept so that its next call is told why it is refused, not just "unknown".
   */
  revoke(id: string, at: number): boolean {
    return this.revokeStmt.run(at, id).changes === 1;
  }

  /** A new certificate for a device still in standing (a hosted account's, renewed by the node's root). */
  recertify(id: string, certificate: Digest, expires: number): boolean {
    return this.recertifyStmt.run(certificate, expires, id).changes === 1;
  }

  addSession(tokenHash: Uint8Array, device: string, created: number, expires: number): void {
    this.expireSessionsStmt.run(created);
    this.addSessionStmt.run(tokenHash, device, created, expires);
  }

  /** The device a live session belongs to. */
  session(tokenHash: Uint8Array, now: number): Device | undefined {
    return this.sessionStmt.get(tokenHash, now) as Device | undefined;
  }

  dropSession(tokenHash: Uint8Array): void {
    this.dropSessionStmt.run(tokenHash);
  }
}
