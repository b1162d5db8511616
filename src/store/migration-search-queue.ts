import type { Migration } from './migrations.js';

/** Migration 13 (issue 15): posts indexed for search after their write commits. Never edit it once shipped. */
export const SEARCH_QUEUE_MIGRATION: Migration = {
  version: 13,
  name: 'posts indexed for search after their write commits',
  sql: `
      -- Rows of posts whose words are not in post_search yet. Reading a post's words out of its body
      -- (in JS) and adding them to FTS5 row by row inside the writing transaction was about half of what a
      -- follower spent storing a sync; the node drains this queue in large slices after each commit
      -- (store/search.ts indexPending), and a search on the writing connection drains it first. A row
      -- that goes, or whose body is replaced, leaves the index at once: nothing deleted stays findable.
      CREATE TABLE search_pending (
        n INTEGER PRIMARY KEY
      );
      DROP TRIGGER post_search_add;
      CREATE TRIGGER post_search_add AFTER INSERT ON objects
        WHEN NEW.type IN ('Create', 'Note', 'Article', 'Question', 'Page', 'Event') BEGIN
        INSERT OR IGNORE INTO search_pending (n) VALUES (NEW.n);
      END;
      DROP TRIGGER post_search_change;
      CREATE TRIGGER post_search_change AFTER UPDATE OF body ON objects BEGIN
        DELETE FROM post_search WHERE rowid = OLD.n;
        INSERT OR IGNORE INTO search_pending (n)
          SELECT NEW.n WHERE NEW.type IN ('Create', 'Note', 'Article', 'Question', 'Page', 'Event');
      END;
      DROP TRIGGER post_search_remove;
      CREATE TRIGGER post_search_remove AFTER DELETE ON objects BEGIN
        DELETE FROM post_search WHERE rowid = OLD.n;
        DELETE FROM search_pending WHERE n = OLD.n;
      END;
    `,
};
