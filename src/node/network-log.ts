/** How the network's parts write ids in the log: short enough to read. */

/** A peer id, DID or scope cut to its start and end, enough to tell them apart in a log line. */
export const short = (s: string): string => (s.length > 24 ? `${s.slice(0, 14)}…${s.slice(-6)}` : s);
