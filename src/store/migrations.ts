/**
 * Schema migrations, applied in order and recorded in `schema_migrations`.
 * Never edit a migration that has shipped: add a new one.
 */
export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'objects, certificates, revocations, keys, settings',
    sql: `
      -- Scope names (an outbox id, a forum id) interned: the scope index stays small.
      CREATE TABLE scopes (
        n    INTEGER PRIMARY KEY,
        name TEXT NOT NULL UNIQUE
      );
      -- One row per signed version of an object. The digest (SHA-256 of the
      -- JCS bytes, 32 raw bytes here) names the version; body is those JCS bytes.
      CREATE TABLE objects (
        n        INTEGER PRIMARY KEY,
        digest   BLOB NOT NULL UNIQUE,
        id       TEXT NOT NULL,
        owner    TEXT NOT NULL,
        signer   TEXT NOT NULL,
        type     TEXT NOT NULL,
        scope    INTEGER NOT NULL REFERENCES scopes (n),
        created  INTEGER NOT NULL,
        received INTEGER NOT NULL,
        body     TEXT NOT NULL
      );
      -- Scope order (created, digest) is the order set reconciliation uses.
      CREATE INDEX objects_scope ON objects (scope, created, digest);
      CREATE INDEX objects_id ON objects (id, created);
      -- Objects embedded in another (a Create's Note), findable by their own id.
      CREATE TABLE embedded (
        id     TEXT NOT NULL,
        object INTEGER NOT NULL REFERENCES objects (n) ON DELETE CASCADE,
        PRIMARY KEY (id, object)
      ) WITHOUT ROWID;
      -- Certificates and revocations are objects too; these index what chains need.
      CREATE TABLE certificates (
        object     INTEGER PRIMARY KEY REFERENCES objects (n) ON DELETE CASCADE,
        digest     TEXT NOT NULL UNIQUE,
        issuer     TEXT NOT NULL,
        subject    TEXT NOT NULL,
        parent     TEXT,
        not_before INTEGER NOT NULL,
        expires    INTEGER NOT NULL
      );
      CREATE INDEX certificates_subject ON certificates (subject);
      CREATE TABLE revocations (
        object      INTEGER PRIMARY KEY REFERENCES objects (n) ON DELETE CASCADE,
        issuer      TEXT NOT NULL,
        certificate TEXT,
        subject     TEXT,
        root        TEXT,
        effective   INTEGER NOT NULL
      );
      CREATE INDEX revocations_certificate ON revocations (certificate);
      CREATE INDEX revocations_subject ON revocations (subject);
      -- Public facts about keys this node holds; the private seeds live in 0600 files.
      CREATE TABLE keys (
        did     TEXT PRIMARY KEY,
        role    TEXT NOT NULL,
        file    TEXT NOT NULL,
        created INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE TABLE settings (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) WITHOUT ROWID;
      -- What was refused, by reason code: bad input is counted, never stored.
      CREATE TABLE refusals (
        code        TEXT PRIMARY KEY,
        count       INTEGER NOT NULL,
        last_reason TEXT NOT NULL,
        last_at     INTEGER NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 2,
    name: 'follows, peers, sync state',
    sql: `
      -- People this node follows: it keeps, serves and syncs their scope.
      CREATE TABLE follows (
        did   TEXT PRIMARY KEY,
        scope TEXT NOT NULL,
        since INTEGER NOT NULL,
        -- A multiaddr to try first, when the follow named one.
        hint  TEXT
      ) WITHOUT ROWID;
      -- Peers met, what they were last seen at, and how they behaved.
      CREATE TABLE peers (
        peer_id       TEXT PRIMARY KEY,
        addrs         TEXT NOT NULL DEFAULT '[]',
        did           TEXT,
        last_seen     INTEGER NOT NULL,
        penalties     INTEGER NOT NULL DEFAULT 0,
        banned_until  INTEGER NOT NULL DEFAULT 0,
        last_reason   TEXT
      ) WITHOUT ROWID;
      -- The merged feed walks all objects newest first and keeps followed scopes.
      CREATE INDEX objects_created ON objects (created, digest);
      -- The last completed reconciliation of a scope with a peer.
      CREATE TABLE sync_state (
        scope    TEXT NOT NULL,
        peer_id  TEXT NOT NULL,
        last_ok  INTEGER NOT NULL,
        received INTEGER NOT NULL,
        bytes    INTEGER NOT NULL,
        PRIMARY KEY (scope, peer_id)
      ) WITHOUT ROWID;
    `,
  },
];
