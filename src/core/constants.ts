/**
 * Every duration and limit the node's network and application parts run by,
 * named in one place so a reader (or an operator tuning a phone) finds them
 * together. Values that an operator may change per node live in config.json
 * (node/config.ts) instead; these are the fixed ones.
 *
 * Suffixes carry the unit: _MS milliseconds, _BYTES bytes, plain counts otherwise.
 */

// (sections are added by the parts that use them: net, replication, live push, discovery, media, API)
export {};

// ---- Backups (node/backup.ts): `kith export` and `kith import` ----
/** Bytes read from a backup file at a time. */
export const BACKUP_READ_CHUNK_BYTES = 256 * 1024;
/** The header line: type, version, identity, time and counts. */
export const BACKUP_HEADER_MAX_BYTES = 4 * 1024;
/** The signed manifest line: counts, a hash and a proof. */
export const BACKUP_MANIFEST_MAX_BYTES = 8 * 1024;
/** A block line: a 32 KiB block in base64 (43,692 characters) and its reference. */
export const BACKUP_BLOCK_LINE_MAX_BYTES = 48 * 1024;
/** References per tree line; a larger tree is written over several lines (~57 bytes a reference). */
export const BACKUP_TREE_LINE_MAX_REFS = 4096;
export const BACKUP_TREE_LINE_MAX_BYTES = 256 * 1024;
/** Object lines are held in memory until all of a backup is checked: their total is bounded. */
export const BACKUP_MAX_OBJECT_BYTES = 1024 * 1024 * 1024;
