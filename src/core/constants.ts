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

// ---- Web app views (what the owner API shows the owner's devices) ----

/** An image description (alt text, the AS2 `name` of an attachment); as long as the fediverse's longest. */
export const MAX_ALT_TEXT_CHARS = 1500;
/** How much of a post a notification quotes. */
export const MAX_QUOTE_CHARS = 280;
