import type { Migration } from './migrations.js';

/** Migration 14 (issue 14): the partial indexes that find epoch key objects and sealed envelopes. Never edit it once shipped. */
export const FOLLOWER_KEYS_MIGRATION: Migration = {
  version: 14,
  name: 'follower keys: objects found by type',
  sql: `
      -- Epoch key objects and followers-only envelopes (node/follower-epochs.ts) are found by type and author,
      -- not by scanning a whole scope. The keys themselves are files in the home, never rows (node/secret-files.ts).
      -- Partial, so the posts a sync stores (nearly every row) cost no write to them; queries name the type as a literal.
      CREATE INDEX objects_epoch_keys ON objects (owner, created) WHERE type = 'KithEpochKey';
      CREATE INDEX objects_sealed ON objects (created) WHERE type = 'KithSealed';
    `,
};
