import type { Migration } from './migrations.js';

/** Migration 12 (issue 13): hosted accounts, who vouches for whom, node roots blocked, and the view reading filters by. */
export const ACCOUNTS_MIGRATION: Migration = {
  version: 12,
  name: 'hosted accounts and node-root blocks',
  sql: `
    -- Devices of accounts this node hosts sign in like the owner's devices, but act only as their account.
    ALTER TABLE devices ADD COLUMN account INTEGER NOT NULL DEFAULT 0 CHECK (account IN (0, 1));
    -- People this node hosts: their own key is their identity; the node signs for them with a delegate key
    -- (its seed in a 0600 file) under a publish certificate their device signed.
    CREATE TABLE hosted_accounts (
      did                 TEXT PRIMARY KEY,
      name                TEXT NOT NULL,
      delegate            TEXT NOT NULL UNIQUE,
      publish_certificate TEXT NOT NULL,
      publish_expires     INTEGER NOT NULL,
      account_certificate TEXT NOT NULL,
      created             INTEGER NOT NULL,
      removed             INTEGER
    ) WITHOUT ROWID;
    -- Whom each hosted account follows: their scopes are kept here too, and make up the account's home timeline.
    CREATE TABLE account_follows (
      account TEXT NOT NULL REFERENCES hosted_accounts (did),
      did     TEXT NOT NULL,
      since   INTEGER NOT NULL,
      PRIMARY KEY (account, did)
    ) WITHOUT ROWID;
    -- Which node root vouches for a key: the account certificate its newest actor document carries
    -- (the subject's consent; a root cannot claim a stranger), one per subject.
    CREATE TABLE account_vouches (
      subject TEXT PRIMARY KEY,
      root    TEXT NOT NULL,
      digest  TEXT NOT NULL,
      expires INTEGER NOT NULL,
      claimed INTEGER NOT NULL
    ) WITHOUT ROWID;
    CREATE INDEX account_vouches_root ON account_vouches (root);
    -- Node roots the owner blocked: every account they vouch for is muted, not refused, so unblocking restores it.
    CREATE TABLE blocked_roots (
      did   TEXT PRIMARY KEY,
      since INTEGER NOT NULL
    ) WITHOUT ROWID;
    -- Whose things reading leaves out: people blocked, and accounts under a blocked root while it still vouches
    -- for them (as store/account-vouches.ts rootOf says: not revoked by the root, not expired).
    CREATE VIEW muted_people AS
      SELECT did FROM blocked_people
      UNION SELECT v.subject FROM account_vouches v JOIN blocked_roots b ON b.did = v.root
        WHERE v.expires > CAST(strftime('%s', 'now') AS INTEGER) * 1000
        AND NOT EXISTS (SELECT 1 FROM revocations r WHERE r.issuer = v.root
          AND (r.certificate = v.digest OR (r.subject = v.subject AND r.root = v.root)));
  `,
};
