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

// ---- Command line: the node's lock on its home, profile fields, standard input ----

/** A lock file this young with no process id in it yet is a start still writing it, not a stale lock. */
export const HOME_LOCK_WRITE_GRACE_MS = 5_000;
/** Tries at taking a home's lock when stale locks are in the way (another start may race for the same one). */
export const HOME_LOCK_ATTEMPTS = 3;
/** A display name, at most, in characters (the command line and the owner API alike). */
export const PROFILE_NAME_MAX_CHARS = 100;
/** A profile summary, at most, in characters of the text a person types. */
export const PROFILE_SUMMARY_MAX_CHARS = 2000;
/** Largest avatar image: the web app's upload limit, so one set at the command line could have been uploaded too. */
export const PROFILE_AVATAR_MAX_BYTES = 16 * 1024 * 1024;
/** What `kith post -` and `kith profile --summary -` read from standard input at most: more than the control endpoint takes. */
export const TEXT_STDIN_MAX_BYTES = 64 * 1024;
