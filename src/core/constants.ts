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

// ---- Application service (node/service.ts and its parts) and the surfaces over it (api/, cli/) ----

/** Longest post or reply, in UTF-16 code units, whichever way it arrives. */
export const MAX_POST_CHARS = 5000;
/** Longest display name and profile summary (plain text, before it becomes HTML). */
export const MAX_PROFILE_NAME_CHARS = 100;
export const MAX_PROFILE_SUMMARY_CHARS = 2000;
/** Longest follow target (a did:key, an ap:// id or a multiaddr). */
export const MAX_FOLLOW_TARGET_CHARS = 2048;
/** Largest media file a device uploads in one request (files attached from disk by `kith post --attach` have their own, larger limit). */
export const MAX_UPLOAD_BYTES = 16 * 1024 * 1024;
/** Longest uploaded file name kept as the attachment's name. */
export const MAX_UPLOAD_NAME_CHARS = 200;
/** How far up a thread walks the posts a post replies to. */
export const MAX_THREAD_ANCESTORS = 20;
/** Largest JSON request body the owner API and the control endpoint read. */
export const MAX_REQUEST_JSON_BYTES = 64 * 1024;
/** How long the CLI waits for the running node to answer one control call (a follow syncs first), and for the first probe. */
export const CONTROL_CALL_TIMEOUT_MS = 120_000;
export const CONTROL_PROBE_TIMEOUT_MS = 5000;
/** How long the control endpoint waits for request headers, and for a whole request (a follow may sync for minutes). */
export const CONTROL_HEADERS_TIMEOUT_MS = 10_000;
export const CONTROL_REQUEST_TIMEOUT_MS = 300_000;
/** How long the owner API waits for request headers; its event streams stay open, so whole requests are bounded by size instead. */
export const API_HEADERS_TIMEOUT_MS = 15_000;
/** How often an idle event stream gets a ping, so proxies and phones keep it open. */
export const EVENT_STREAM_PING_MS = 25_000;
