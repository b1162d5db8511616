import { FORUM_SCHEMA } from './forum-schema.js';

/**
 * Schema migrations, applied in order and recorded in `schema_migrations`.
 * Never edit a migration that has shipped: add a new one.
 */
import { ACCOUNTS_MIGRATION } from './migration-accounts.js';
import { SEARCH_QUEUE_MIGRATION } from './migration-search-queue.js';
import { FOLLOWER_KEYS_MIGRATION } from './migration-follower-keys.js';
import { OPENED_POSTS_MIGRATION } from './migration-opened-posts.js';
import { DIRECT_MESSAGES_MIGRATION } from './migration-direct-messages.js';
import { FORUM_REPORTS_MIGRATION } from './migration-forum-reports.js';
import { CERTIFICATE_EXPIRY_MIGRATION } from './migration-certificate-expiry.js';

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
  {
    version: 3,
    name: 'ERIS blocks and pins',
    sql: `
      -- ERIS blocks: ciphertext only, 1 KiB or 32 KiB, addressed by the BLAKE2b-256 of their bytes.
      -- A rowid table (not WITHOUT ROWID): rows are large; data comes last so the other columns
      -- are read without touching the blob's overflow pages.
      CREATE TABLE blocks (
        n    INTEGER PRIMARY KEY,
        ref  BLOB NOT NULL UNIQUE CHECK (length(ref) = 32),
        size INTEGER NOT NULL CHECK (size IN (1024, 32768)),
        -- Last stored or read (ms), coarsely: garbage collection takes the least recently used first.
        used INTEGER NOT NULL,
        data BLOB NOT NULL CHECK (length(data) = size)
      );
      CREATE INDEX blocks_used ON blocks (used);
      -- Totals kept by triggers, so the quota check costs one row read whatever the store holds.
      CREATE TABLE block_usage (
        id     INTEGER PRIMARY KEY CHECK (id = 1),
        blocks INTEGER NOT NULL,
        bytes  INTEGER NOT NULL
      );
      INSERT INTO block_usage (id, blocks, bytes) VALUES (1, 0, 0);
      CREATE TRIGGER blocks_added AFTER INSERT ON blocks BEGIN
        UPDATE block_usage SET blocks = blocks + 1, bytes = bytes + NEW.size WHERE id = 1;
      END;
      CREATE TRIGGER blocks_removed AFTER DELETE ON blocks BEGIN
        UPDATE block_usage SET blocks = blocks - 1, bytes = bytes - OLD.size WHERE id = 1;
      END;
      -- A pinned tree, by its root reference; its reasons are in pins.
      CREATE TABLE pin_roots (
        root       BLOB PRIMARY KEY,
        block_size INTEGER NOT NULL,
        level      INTEGER NOT NULL,
        since      INTEGER NOT NULL,
        -- Why part of the tree could not be walked (a node that does not open), or NULL.
        broken     TEXT
      ) WITHOUT ROWID;
      -- Why a tree is pinned ('own', 'follow:<did>', 'sealed', ...) and for whom: it stays pinned while any reason does.
      CREATE TABLE pins (
        root   BLOB NOT NULL REFERENCES pin_roots (root) ON DELETE CASCADE,
        reason TEXT NOT NULL,
        owner  TEXT,
        since  INTEGER NOT NULL,
        PRIMARY KEY (root, reason)
      ) WITHOUT ROWID;
      CREATE INDEX pins_owner ON pins (owner);
      -- Every reference known to be in a pinned tree, whether its block is here yet or not:
      -- garbage collection never takes a block listed here.
      CREATE TABLE pin_blocks (
        ref  BLOB NOT NULL,
        root BLOB NOT NULL REFERENCES pin_roots (root) ON DELETE CASCADE,
        PRIMARY KEY (ref, root)
      ) WITHOUT ROWID;
      CREATE INDEX pin_blocks_root ON pin_blocks (root);
      -- Internal nodes of pinned trees whose blocks have not arrived: with the node's key and level,
      -- so its children are covered the moment it is stored. The row (and the key) goes when it arrives.
      CREATE TABLE pin_pending (
        ref   BLOB NOT NULL,
        root  BLOB NOT NULL REFERENCES pin_roots (root) ON DELETE CASCADE,
        level INTEGER NOT NULL,
        key   BLOB NOT NULL,
        PRIMARY KEY (ref, root)
      ) WITHOUT ROWID;
      CREATE INDEX pin_pending_root ON pin_pending (root);
    `,
  },
  {
    version: 4,
    name: 'devices, sessions, blocked people, replies and mentions',
    sql: `
      -- The owner's devices: each holds a key of its own, certified by the owner's identity.
      -- The name stays here, not in the certificate, which travels to every follower.
      CREATE TABLE devices (
        id          TEXT PRIMARY KEY,
        did         TEXT NOT NULL UNIQUE,
        name        TEXT NOT NULL,
        certificate TEXT NOT NULL,
        created     INTEGER NOT NULL,
        expires     INTEGER NOT NULL,
        last_seen   INTEGER,
        revoked     INTEGER
      ) WITHOUT ROWID;
      -- Sessions of paired devices; only the SHA-256 of a token is kept, so a copy of the store logs nobody in.
      CREATE TABLE device_sessions (
        token_hash BLOB PRIMARY KEY,
        device     TEXT NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
        created    INTEGER NOT NULL,
        expires    INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX device_sessions_device ON device_sessions (device);
      -- People the owner blocked: nothing of theirs is taken in or shown.
      CREATE TABLE blocked_people (
        did   TEXT PRIMARY KEY,
        since INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- What a post replies to and whom it mentions, for threads and notifications.
      CREATE TABLE object_links (
        object       INTEGER NOT NULL REFERENCES objects (n),
        kind         TEXT NOT NULL CHECK (kind IN ('reply', 'mention')),
        target       TEXT NOT NULL,
        target_owner TEXT NOT NULL,
        PRIMARY KEY (object, kind, target)
      ) WITHOUT ROWID;
      CREATE INDEX object_links_target ON object_links (target, kind);
      CREATE INDEX object_links_owner ON object_links (target_owner, object);
      -- Replies stored before this table existed.
      INSERT OR IGNORE INTO object_links (object, kind, target, target_owner)
        SELECT n, 'reply', t, substr(t, 6, instr(substr(t, 6), '/') - 1) FROM (
          SELECT n, coalesce(json_extract(body, '$.object.inReplyTo'), json_extract(body, '$.inReplyTo')) AS t FROM objects
        ) WHERE t LIKE 'ap://did:key:%/%';
    `,
  },
  {
    version: 5,
    name: 'certificates by root and subject, revocations by issuer',
    sql: `
      -- The root of a certificate's chain (its first link's issuer), so a check of a key's chain
      -- reads that root's certificates of the key only, never every certificate the key holds.
      -- NULL while a link above it has not arrived; it is filled in when it does.
      ALTER TABLE certificates ADD COLUMN root TEXT;
      CREATE TEMP TABLE certificate_roots (digest TEXT PRIMARY KEY, root TEXT NOT NULL) WITHOUT ROWID;
      WITH RECURSIVE rooted (digest, root) AS (
        SELECT digest, issuer FROM certificates WHERE parent IS NULL
        UNION SELECT c.digest, r.root FROM certificates c JOIN rooted r ON c.parent = r.digest
      ) INSERT OR IGNORE INTO certificate_roots SELECT digest, root FROM rooted;
      UPDATE certificates SET root = (SELECT r.root FROM certificate_roots r WHERE r.digest = certificates.digest);
      DROP TABLE certificate_roots;
      DROP INDEX certificates_subject;
      CREATE INDEX certificates_root_subject ON certificates (root, subject, expires);
      -- How many certificates an issuer gave a key (capped), and the links waiting for a parent.
      CREATE INDEX certificates_subject_issuer ON certificates (subject, issuer);
      CREATE INDEX certificates_parent ON certificates (parent);
      -- Only revocations by a key with standing count, so they are looked up with their issuer.
      DROP INDEX revocations_certificate;
      DROP INDEX revocations_subject;
      CREATE INDEX revocations_certificate_issuer ON revocations (certificate, issuer);
      CREATE INDEX revocations_subject_root_issuer ON revocations (subject, root, issuer);
    `,
  },
  {
    version: 6,
    name: 'inbox: deliveries held for others, deliveries going out',
    sql: `
      -- Deliveries this node holds for a person whose node was away: sealed to them, so only
      -- sender, recipient, size and time are readable here. hash (of the sealed bytes) makes a
      -- delivery left twice one row.
      CREATE TABLE held_deliveries (
        n         INTEGER PRIMARY KEY,
        recipient TEXT NOT NULL,
        sender    TEXT NOT NULL,
        created   INTEGER NOT NULL,
        received  INTEGER NOT NULL,
        hash      TEXT NOT NULL UNIQUE,
        envelope  TEXT NOT NULL
      );
      CREATE INDEX held_deliveries_recipient ON held_deliveries (recipient, n);
      CREATE INDEX held_deliveries_sender ON held_deliveries (sender);
      CREATE INDEX held_deliveries_received ON held_deliveries (received);
      -- Activities of the owner's on their way to the people they address, until delivered or held.
      CREATE TABLE outgoing_deliveries (
        n          INTEGER PRIMARY KEY,
        recipient  TEXT NOT NULL,
        digest     TEXT NOT NULL,
        body       TEXT NOT NULL,
        queued     INTEGER NOT NULL,
        attempts   INTEGER NOT NULL DEFAULT 0,
        next_at    INTEGER NOT NULL,
        last_error TEXT,
        UNIQUE (digest, recipient)
      );
      CREATE INDEX outgoing_deliveries_due ON outgoing_deliveries (next_at);
    `,
  },
  {
    version: 7,
    name: 'likes, boosts, undos and tombstones',
    sql: `
      -- Likes and boosts (Announce) of a post, by the activity's row: counts and "did I like it".
      CREATE TABLE interactions (
        object INTEGER PRIMARY KEY REFERENCES objects (n) ON DELETE CASCADE,
        id     TEXT NOT NULL,
        kind   TEXT NOT NULL CHECK (kind IN ('like', 'boost')),
        target TEXT NOT NULL,
        actor  TEXT NOT NULL
      );
      CREATE INDEX interactions_target ON interactions (target, kind, actor);
      CREATE INDEX interactions_actor ON interactions (actor, kind, target);
      CREATE INDEX interactions_id ON interactions (id);
      -- What an Undo took back (a Like's or Announce's id), by the Undo's row; an Undo may arrive first.
      CREATE TABLE undone (
        id     TEXT NOT NULL,
        object INTEGER NOT NULL REFERENCES objects (n) ON DELETE CASCADE,
        PRIMARY KEY (id, object)
      ) WITHOUT ROWID;
      -- Ids their authors deleted: no version of them is taken in again. The Delete (its digest here) stays
      -- in the author's outbox, so it travels wherever the scope does, and may arrive before the post.
      CREATE TABLE tombstones (
        id         TEXT PRIMARY KEY,
        deleted_at INTEGER NOT NULL,
        digest     BLOB NOT NULL
      ) WITHOUT ROWID;
    `,
  },
  {
    version: 8,
    name: 'petnames, search over posts and people',
    sql: `
      -- Names the owner gives keys (DESIGN, principle 2): local, never published. "folded" is the
      -- name as compared (NFKC, lower case), unique, so one name never points at two keys.
      CREATE TABLE petnames (
        did    TEXT PRIMARY KEY,
        name   TEXT NOT NULL,
        folded TEXT NOT NULL UNIQUE,
        since  INTEGER NOT NULL
      ) WITHOUT ROWID;

      -- Posts by their words and hashtags; the rowid is the object's row. Contentless: the words
      -- are in the objects' bodies already, so the index holds only what finds them.
      CREATE VIRTUAL TABLE post_search USING fts5 (
        text, tags, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
      );
      -- Kept in step with objects in the writing transaction, whichever way a row is written;
      -- kith_post_text and kith_post_tags (store/search-functions.ts) read a post out of its body.
      CREATE TRIGGER post_search_add AFTER INSERT ON objects
        WHEN NEW.type IN ('Create', 'Note', 'Article', 'Question', 'Page', 'Event') BEGIN
        INSERT INTO post_search (rowid, text, tags)
          SELECT NEW.n, t, kith_post_tags(NEW.body) FROM (SELECT kith_post_text(NEW.body) AS t) WHERE t IS NOT NULL;
      END;
      -- A body replaced (a delete that keeps a tombstone) is indexed as it now is.
      CREATE TRIGGER post_search_change AFTER UPDATE OF body ON objects BEGIN
        DELETE FROM post_search WHERE rowid = OLD.n;
        INSERT INTO post_search (rowid, text, tags)
          SELECT NEW.n, t, kith_post_tags(NEW.body) FROM (SELECT kith_post_text(NEW.body) AS t)
          WHERE t IS NOT NULL AND NEW.type IN ('Create', 'Note', 'Article', 'Question', 'Page', 'Event');
      END;
      CREATE TRIGGER post_search_remove AFTER DELETE ON objects BEGIN
        DELETE FROM post_search WHERE rowid = OLD.n;
      END;
      -- Posts stored before this index existed.
      INSERT INTO post_search (rowid, text, tags)
        SELECT n, t, kith_post_tags(body) FROM (
          SELECT n, body, kith_post_text(body) AS t FROM objects WHERE type IN ('Create', 'Note', 'Article', 'Question', 'Page', 'Event')
        ) WHERE t IS NOT NULL;

      -- People by the name they give themselves (from their newest actor document) and the
      -- petname the owner gave them; the FTS table reads its words from this one.
      CREATE TABLE search_people (
        n       INTEGER PRIMARY KEY,
        did     TEXT NOT NULL UNIQUE,
        name    TEXT NOT NULL DEFAULT '',
        petname TEXT NOT NULL DEFAULT ''
      );
      CREATE VIRTUAL TABLE people_search USING fts5 (
        name, petname, content = 'search_people', content_rowid = 'n', tokenize = 'unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER search_people_add AFTER INSERT ON search_people BEGIN
        INSERT INTO people_search (rowid, name, petname) VALUES (NEW.n, NEW.name, NEW.petname);
      END;
      CREATE TRIGGER search_people_change AFTER UPDATE ON search_people BEGIN
        INSERT INTO people_search (people_search, rowid, name, petname) VALUES ('delete', OLD.n, OLD.name, OLD.petname);
        INSERT INTO people_search (rowid, name, petname) VALUES (NEW.n, NEW.name, NEW.petname);
      END;
      -- A version of an actor that is the newest held names the person; an older one arriving late does not.
      CREATE TRIGGER search_people_actor AFTER INSERT ON objects
        WHEN NEW.type IN ('Person', 'Service', 'Application', 'Group', 'Organization') AND NEW.id = 'ap://' || NEW.owner || '/actor'
          AND NOT EXISTS (SELECT 1 FROM objects p WHERE p.id = NEW.id AND p.n != NEW.n AND (p.created, p.digest) > (NEW.created, NEW.digest)) BEGIN
        INSERT INTO search_people (did, name)
          VALUES (NEW.owner, CASE WHEN json_type(NEW.body, '$.name') = 'text' THEN substr(json_extract(NEW.body, '$.name'), 1, 200) ELSE '' END)
          ON CONFLICT (did) DO UPDATE SET name = excluded.name;
      END;
      CREATE TRIGGER petnames_search_add AFTER INSERT ON petnames BEGIN
        INSERT INTO search_people (did, petname) VALUES (NEW.did, NEW.name) ON CONFLICT (did) DO UPDATE SET petname = excluded.petname;
      END;
      CREATE TRIGGER petnames_search_change AFTER UPDATE ON petnames BEGIN
        UPDATE search_people SET petname = NEW.name WHERE did = NEW.did;
      END;
      CREATE TRIGGER petnames_search_remove AFTER DELETE ON petnames BEGIN
        UPDATE search_people SET petname = '' WHERE did = OLD.did;
      END;
      -- People whose actor documents were stored before this index existed.
      INSERT INTO search_people (did, name)
        SELECT o.owner, CASE WHEN json_type(o.body, '$.name') = 'text' THEN substr(json_extract(o.body, '$.name'), 1, 200) ELSE '' END
        FROM objects o
        WHERE o.type IN ('Person', 'Service', 'Application', 'Group', 'Organization') AND o.id = 'ap://' || o.owner || '/actor'
          AND NOT EXISTS (SELECT 1 FROM objects p WHERE p.id = o.id AND (p.created, p.digest) > (o.created, o.digest))
        ON CONFLICT (did) DO NOTHING;
    `,
  },
  {
    version: 9,
    name: 'follows both sides know: follow requests, followers',
    sql: `
      -- The Follow the owner signed for each person followed, and what the followee answered.
      -- Follows made before this (follow_id NULL) were never told to the followee.
      ALTER TABLE follows ADD COLUMN follow_id TEXT;
      ALTER TABLE follows ADD COLUMN state TEXT NOT NULL DEFAULT 'requested' CHECK (state IN ('requested', 'accepted'));
      ALTER TABLE follows ADD COLUMN state_at INTEGER;
      CREATE UNIQUE INDEX follows_follow_id ON follows (follow_id) WHERE follow_id IS NOT NULL;
      -- Follows the followee rejected (or ended by removing the owner): their scope is no longer kept,
      -- so they are not in follows, but the owner still sees why the follow ended.
      CREATE TABLE follows_rejected (
        did         TEXT PRIMARY KEY,
        follow_id   TEXT NOT NULL,
        rejected_at INTEGER NOT NULL
      ) WITHOUT ROWID;
      -- People who asked to follow the owner: one row per person, their newest Follow.
      CREATE TABLE followers (
        did       TEXT PRIMARY KEY,
        follow_id TEXT NOT NULL,
        state     TEXT NOT NULL CHECK (state IN ('pending', 'accepted', 'rejected')),
        since     INTEGER NOT NULL
      ) WITHOUT ROWID;
      CREATE INDEX followers_state ON followers (state, since);
      CREATE INDEX followers_follow_id ON followers (follow_id);
    `,
  },
  {
    version: 10,
    name: 'checkpoints of scopes',
    sql: `
      -- The latest checkpoint held for each scope (core/checkpoint.ts): signed by the author's node for its
      -- own scope, or received with the scope and checked against it; served on with the scope.
      CREATE TABLE checkpoints (
        scope        INTEGER PRIMARY KEY REFERENCES scopes (n),
        count        INTEGER NOT NULL CHECK (count > 0),
        last_created INTEGER NOT NULL,
        last_digest  BLOB NOT NULL CHECK (length(last_digest) = 32),
        signer       TEXT NOT NULL,
        body         TEXT NOT NULL,
        received     INTEGER NOT NULL
      );
    `,
  },
  {
    version: 11,
    name: 'forums: roles here, moderation acts, invitations, join requests',
    sql: FORUM_SCHEMA,
  },
  ACCOUNTS_MIGRATION,
  SEARCH_QUEUE_MIGRATION,
  FOLLOWER_KEYS_MIGRATION,
  OPENED_POSTS_MIGRATION,
  DIRECT_MESSAGES_MIGRATION,
  FORUM_REPORTS_MIGRATION,
  CERTIFICATE_EXPIRY_MIGRATION,
];
