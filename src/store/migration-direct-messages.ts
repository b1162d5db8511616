import type { Migration } from './migrations.js';

/**
 * Migration 16 (issue 14, direct messages): conversations, their key
 * generations and their messages. Never edit it once shipped. The keys
 * themselves are files in the home (node/secret-files.ts), never rows; a
 * message's opened text is kept here for this node's own reader only: none
 * of these tables is part of any scope, so no sync ever serves them.
 */
export const DIRECT_MESSAGES_MIGRATION: Migration = {
  version: 16,
  name: 'direct messages: conversations, generations, messages',
  sql: `
      CREATE TABLE dm_conversations (
        id       TEXT PRIMARY KEY,
        creator  TEXT NOT NULL,
        created  INTEGER NOT NULL,
        -- The newest message's time, for the list's order.
        updated  INTEGER NOT NULL,
        -- Messages up to this time have been read.
        read_at  INTEGER NOT NULL DEFAULT 0
      );
      -- Each generation of a conversation's key: who was given it, and the key object it came in (for a replay's refusal).
      CREATE TABLE dm_generations (
        conversation TEXT NOT NULL REFERENCES dm_conversations (id) ON DELETE CASCADE,
        generation   INTEGER NOT NULL,
        participants TEXT NOT NULL,
        created      INTEGER NOT NULL,
        key_object   TEXT,
        PRIMARY KEY (conversation, generation)
      ) WITHOUT ROWID;
      -- Messages as they arrived (body: the signed, encrypted object); content is null until the generation's key is here.
      CREATE TABLE dm_messages (
        n            INTEGER PRIMARY KEY,
        id           TEXT NOT NULL UNIQUE,
        conversation TEXT NOT NULL,
        generation   INTEGER NOT NULL,
        author       TEXT NOT NULL,
        created      INTEGER NOT NULL,
        received     INTEGER NOT NULL,
        body         TEXT NOT NULL,
        content      TEXT,
        in_reply_to  TEXT
      );
      CREATE INDEX dm_messages_conversation ON dm_messages (conversation, created);
      CREATE INDEX dm_messages_sealed ON dm_messages (conversation, generation) WHERE content IS NULL;
    `,
};
