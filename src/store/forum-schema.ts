/**
 * Migration 11's schema (issue 13, forums), kept beside the tables that use
 * it (./forums.ts) so the list of migrations stays short.
 */
export const FORUM_SCHEMA = `
  -- Forums this node has a part in: its owner's (it holds the root key), ones its person joined or asked
  -- to join, ones it hosts. Their scopes are kept through follows; this says what the node is to each.
  CREATE TABLE forums (
    forum   TEXT PRIMARY KEY,
    role    TEXT NOT NULL CHECK (role IN ('owner', 'member', 'pending', 'host')),
    since   INTEGER NOT NULL
  );
  -- Moderation acts (core/forum.ts), indexed as they are stored: bans and unbans decide what ingest
  -- takes from a key, hides what readers see, and the whole is the forum's log.
  CREATE TABLE forum_acts (
    object  INTEGER PRIMARY KEY REFERENCES objects (n) ON DELETE CASCADE,
    forum   TEXT NOT NULL,
    kind    TEXT NOT NULL,
    about   TEXT NOT NULL,
    signer  TEXT NOT NULL,
    created INTEGER NOT NULL
  );
  CREATE INDEX forum_acts_about ON forum_acts (forum, about, kind);
  CREATE INDEX forum_acts_log ON forum_acts (forum, created);
  -- One-time invitations this node's forums issued, and who redeemed each.
  CREATE TABLE forum_invites (
    nonce       TEXT PRIMARY KEY,
    forum       TEXT NOT NULL,
    expires     INTEGER NOT NULL,
    redeemed_by TEXT,
    redeemed_at INTEGER
  );
  -- Join requests waiting for an owner's or a moderator's answer, by the Join activity delivered.
  CREATE TABLE forum_requests (
    forum    TEXT NOT NULL,
    did      TEXT NOT NULL,
    activity TEXT NOT NULL,
    created  INTEGER NOT NULL,
    PRIMARY KEY (forum, did)
  ) WITHOUT ROWID;
`;
