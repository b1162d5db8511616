/** Limits of opening followers-only posts as they arrive (node/followers-reading.ts). */

/** Envelopes looked at per read of the store during a pass; a pass reads on until none are left. */
export const OPEN_SLICE = 200;
/** First wait before opening again an envelope whose blocks have not all arrived; it doubles up to the next. */
export const OPEN_RETRY_FIRST_MS = 500;
export const OPEN_RETRY_MAX_MS = 60_000;
