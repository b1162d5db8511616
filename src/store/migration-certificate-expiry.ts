import type { Migration } from './migrations.js';

/** Migration 19 (issue 13): the cap on certificates counts unexpired ones only. Never edit it once shipped. */
export const CERTIFICATE_EXPIRY_MIGRATION: Migration = {
  version: 19,
  name: 'certificates by subject, issuer and expiry',
  sql: `
      -- The cap (ingest.ts) counts the certificates an issuer gave a key that are still unexpired: a member
      -- renewed weekly for years holds hundreds of expired ones, which the count skips without reading.
      DROP INDEX certificates_subject_issuer;
      CREATE INDEX certificates_subject_issuer_expires ON certificates (subject, issuer, expires);
    `,
};
