import type { Migration } from './migrations.js';

/** Migration 15 (issue 14 item 5): followers-only posts this node opened, for the reading views. Never edit it once shipped. */
export const OPENED_POSTS_MIGRATION: Migration = {
  version: 15,
  name: 'followers-only posts opened here',
  sql: `
      -- The Create a followers-only envelope sealed, as this node opened it with an epoch key it holds
      -- (node/followers-reading.ts). Kept apart from objects on purpose: nothing that serves or syncs
      -- objects can reach a row here, so the plaintext never leaves the node; the reading views
      -- (store/opened-posts.ts) show it in its envelope's place. It goes with its envelope (a Delete).
      CREATE TABLE opened_posts (
        n        INTEGER PRIMARY KEY,
        envelope INTEGER NOT NULL UNIQUE REFERENCES objects (n) ON DELETE CASCADE,
        id       TEXT NOT NULL,
        note     TEXT NOT NULL,
        owner    TEXT NOT NULL,
        body     TEXT NOT NULL
      );
      CREATE INDEX opened_posts_note ON opened_posts (note);
      -- Replies and mentions in opened posts, as object_links indexes those of public ones.
      CREATE TABLE opened_links (
        opened       INTEGER NOT NULL REFERENCES opened_posts (n) ON DELETE CASCADE,
        kind         TEXT NOT NULL,
        target       TEXT NOT NULL,
        target_owner TEXT NOT NULL,
        PRIMARY KEY (opened, kind, target)
      ) WITHOUT ROWID;
      CREATE INDEX opened_links_target ON opened_links (target, kind);
      CREATE INDEX opened_links_owner ON opened_links (target_owner);
      -- Their words, as post_search holds those of public posts (rowid = opened_posts.n).
      CREATE VIRTUAL TABLE opened_search USING fts5 (
        text, tags, content = '', contentless_delete = 1, tokenize = 'unicode61 remove_diacritics 2'
      );
      CREATE TRIGGER opened_search_remove AFTER DELETE ON opened_posts BEGIN
        DELETE FROM opened_search WHERE rowid = OLD.n;
      END;
    `,
};
