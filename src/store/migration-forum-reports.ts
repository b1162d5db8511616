import type { Migration } from './migrations.js';

/** Migration 17 (issue 13): reports of forum posts, kept out of every scope. Never edit it once shipped. */
export const FORUM_REPORTS_MIGRATION: Migration = {
  version: 17,
  name: 'forum reports, kept out of every scope',
  sql: `
      -- A report (a signed AS2 Flag) reaches the forum owner's node and its moderators through the inbox
      -- and is kept here, never in the objects table: a scope is served to anyone who syncs it, and a
      -- reporter's name must not be public. The reporter's own node keeps what it sent (state 'sent'),
      -- which is what its rate limit counts.
      CREATE TABLE forum_reports (
        id       TEXT PRIMARY KEY,
        forum    TEXT NOT NULL,
        reporter TEXT NOT NULL,
        post     TEXT NOT NULL,
        author   TEXT,
        reason   TEXT NOT NULL,
        created  INTEGER NOT NULL,
        state    TEXT NOT NULL CHECK (state IN ('open', 'dismissed', 'acted', 'sent')),
        body     TEXT NOT NULL
      );
      CREATE INDEX forum_reports_forum ON forum_reports (forum, state, created);
      CREATE INDEX forum_reports_reporter ON forum_reports (reporter, forum, created);
    `,
};
