/**
 * Every duration and limit the node's network and application parts run by,
 * named in one place so a reader (or an operator tuning a phone) finds them
 * together. Values that an operator may change per node live in config.json
 * (node/config.ts) instead; these are the fixed ones.
 *
 * Suffixes carry the unit: _MS milliseconds, _BYTES bytes, plain counts otherwise.
 */

// (sections are added by the parts that use them: net, replication, live push, discovery, media, API)

// ---- net/: framing, the sync and blocks protocols, the DHT, peer penalties ----

const KIB = 1024;
const MIB = 1024 * KIB;
const MINUTE_MS = 60_000;

/** Bytes a framed stream reads ahead of its reader before it pauses the sender (net/frames.ts). */
export const FRAME_READ_AHEAD_BYTES = MIB;
/**
 * Backstop on the bytes a framed stream buffers: pausing keeps them near the
 * read-ahead (or the frame being read, at most a 4 MiB reconciliation message)
 * plus one yamux window (4 MiB); past this the peer ignored flow control and
 * the stream is aborted.
 */
export const FRAME_READ_BUFFER_LIMIT_BYTES = 32 * MIB;
/** How long one frame write may wait for the peer to take our bytes. */
export const FRAME_WRITE_TIMEOUT_MS = 30_000;

/** Deadline for each frame from a sync peer. */
export const SYNC_READ_TIMEOUT_MS = 30_000;
/** Largest object a sync peer may send; matches the ingest limit. */
export const SYNC_MAX_OBJECT_BYTES = 64 * KIB;
/** Reconciliation rounds before a sync peer is judged to be stalling. */
export const SYNC_MAX_ROUNDS = 64;
/** Objects are packed into frames of about this size: per-frame costs (encryption, muxing) dominate small frames. */
export const SYNC_PACK_BYTES = 128 * KIB;
/** Fetched batches being verified at once while the next is fetched. */
export const SYNC_INGEST_DEPTH = 2;
/** Largest HELLO frame. */
export const SYNC_MAX_HELLO_BYTES = 4 * KIB;
/** Longest scope name a HELLO may carry. */
export const SYNC_MAX_SCOPE_CHARS = 2048;
/** Scopes one sync stream may ask about: a bound on the work one stream can cause. */
export const SYNC_MAX_SCOPES_PER_STREAM = 4096;

/** Deadline for each frame on a blocks stream, both ways. */
export const BLOCK_READ_TIMEOUT_MS = 30_000;
/** References one blocks stream may ask for (256 MiB of 32 KiB blocks); a client wanting more opens another. */
export const BLOCK_REFS_PER_STREAM = 8192;
/** Blocks streams one connection may have open at once. */
export const BLOCK_INBOUND_STREAMS = 8;
/** How long opening a blocks stream to a peer may take. */
export const BLOCK_DIAL_TIMEOUT_MS = 15_000;
/** References a fetcher asks per WANT frame (1 MiB of 32 KiB blocks). */
export const BLOCK_WANT_REFS = 32;
/** WANT frames a fetcher keeps outstanding per peer, so the server never waits for the next one. */
export const BLOCK_WANTS_IN_FLIGHT = 3;
/** References a tree fetch takes from the store's missing list per round. */
export const BLOCK_TREE_ROUND_REFS = 1024;

/** How long announcing a tree's root in the DHT may take. */
export const DHT_PROVIDE_TIMEOUT_MS = 30_000;
/** How long a DHT lookup of a tree's holders runs before it returns what it found. */
export const DHT_FIND_TIMEOUT_MS = 15_000;
/** Holders of a tree a DHT lookup collects at most. */
export const DHT_FIND_MAX_PROVIDERS = 20;

/** A misbehaving peer's first ban; repeat offences double it. */
export const PEER_BASE_BAN_MS = 10 * MINUTE_MS;
/** The longest ban, and how long a past ban is remembered for doubling. */
export const PEER_MAX_BAN_MS = 24 * 60 * MINUTE_MS;
/** Strikes (gossip an honest peer may relay) halve over this time. */
export const PEER_STRIKE_HALF_LIFE_MS = 5 * MINUTE_MS;
/** Peers remembered at most (per kind), so a swarm of fresh ids cannot exhaust memory. */
export const PEER_MAX_TRACKED = 10_000;

