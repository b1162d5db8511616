/**
 * Every duration and limit the node's network and application parts run by,
 * named in one place so a reader (or an operator tuning a phone) finds them
 * together. Values that an operator may change per node live in config.json
 * (node/config.ts) instead; these are the fixed ones.
 *
 * Suffixes carry the unit: _MS milliseconds, _BYTES bytes, plain counts otherwise.
 */

const SECOND_MS = 1000;
const MINUTE_MS = 60 * SECOND_MS;
const HOUR_MS = 60 * MINUTE_MS;

/** Finding circuit relays for a node behind NAT, and announcing a public relay (net/relay-finder.ts). */
export const RELAY = Object.freeze({
  /** Slots held on relays at once: one to be reachable, a second so losing one is no outage. */
  MAX_RESERVATIONS: 2,
  /** Relays dialled per search at most. */
  MAX_CANDIDATES: 4,
  /** The first search waits for the node's first contacts (bootstrap, mDNS) to be made. */
  FIRST_SEARCH_MS: 5 * SECOND_MS,
  /** After a search that found nothing, the next waits this long, doubling up to the maximum. */
  MIN_SEARCH_INTERVAL_MS: MINUTE_MS,
  MAX_SEARCH_INTERVAL_MS: HOUR_MS,
  /** One DHT lookup (or announcement) gives up after this. */
  SEARCH_TIMEOUT_MS: 30 * SECOND_MS,
  DIAL_TIMEOUT_MS: 10 * SECOND_MS,
  /** A public relay renews its DHT record this often (records live 48 hours). */
  ANNOUNCE_INTERVAL_MS: 12 * HOUR_MS,
});

/** The libp2p host's own timers (net/host.ts): each one wakes every connected node, so idle cost grows with them. */
export const HOST = Object.freeze({
  /**
   * libp2p pings each peer on a fresh stream every 10 s by default, to measure
   * round trips and find dead connections. Yamux already sends a keep-alive
   * frame every 30 s on each connection (which keeps NAT mappings open), so a
   * minute is enough here, and an idle phone wakes six times less.
   */
  PING_INTERVAL_MS: MINUTE_MS,
  /**
   * How often this node asks the local network who is there. A node that
   * starts asks at once and every node answers, so newcomers are still found
   * within a second; the repeat only finds nodes that missed both (libp2p's
   * default, 10 s, made every node on a network parse every other's answers
   * each 10 s).
   */
  MDNS_QUERY_INTERVAL_MS: MINUTE_MS,
  /** libp2p gives up on one dial after this. */
  CONNECTION_DIAL_TIMEOUT_MS: 10 * SECOND_MS,
  /**
   * Inbound connection attempts one IP address may make per second. libp2p's
   * default, 5, assumes one address is one peer; but a household's phones, a
   * carrier-grade NAT, or nodes sharing one machine all arrive from one
   * address, and twenty followers behind one NAT reconnecting after an outage
   * would wait their turn for seconds. Attempts still pass the peer
   * penalties, at most 20 handshakes are pending at once and the connection
   * limit holds, so one address cannot take more than a burst.
   */
  INBOUND_CONNECTIONS_PER_ADDRESS_PER_SECOND: 25,
  /** Inbound connections still in their handshake at once, from everyone together. */
  PENDING_INBOUND_CONNECTIONS: 20,
});

// ---- the node on the network (node/network.ts and its parts) ----

/** How often followed scopes are pulled again from every connected peer (repairs what live push missed). */
export const RESYNC_INTERVAL_MS = 5 * 60_000;
/** Wait after meeting a peer before syncing with it, so its protocols are identified first. */
export const CONTACT_SYNC_DELAY_MS = 200;
/** Dialling a peer for a sync stream gives up after this. */
export const SYNC_DIAL_TIMEOUT_MS = 15_000;
/** The window sync requests are counted in, per peer, against the configured maxSyncsPerMinute. */
export const SYNC_RATE_WINDOW_MS = 60_000;
/** Peers whose sync requests are counted at once; past it, counts from older windows are forgotten. */
export const MAX_RATE_COUNTED_PEERS = 10_000;
/** Sync and media progress go to the log at most this often. */
export const PROGRESS_LOG_INTERVAL_MS = 1000;
/** After the first peer is met, wait this long before announcing in the DHT, so the peer can answer. */
export const ANNOUNCE_DELAY_MS = 1000;
/** DHT announcements made at once: a node following a thousand people must not start a thousand walks. */
export const PROVIDE_CONCURRENCY = 8;
/** One DHT announcement gives up after this. */
export const DHT_PROVIDE_TIMEOUT_MS = 30_000;
/** Looking up who keeps a scope gives up after this, with whatever it found. */
export const DHT_FIND_TIMEOUT_MS = 10_000;
/** Announcements that failed and wait for the next round, at most (the rest wait for announceAll). */
export const MAX_UNANNOUNCED = 10_000;
/** Holders of a scope taken from one DHT lookup. */
export const MAX_SCOPE_PROVIDERS = 8;
/** Lost bootstrap peers are redialled this often. */
export const BOOTSTRAP_RETRY_MS = 30_000;
/** Dialling an address (to follow someone there, or on the owner's request) gives up after this. */
export const DIAL_TIMEOUT_MS = 15_000;
/** Asking a node whose it is (the actor protocol): opening the stream, and then the answer, each within this. */
export const ACTOR_TIMEOUT_MS = 10_000;
/** Largest actor document a node may answer with. */
export const MAX_ACTOR_BYTES = 64 * 1024;
/** Recent syncs listed in the node's status. */
export const STATUS_RECENT_SYNCS = 50;

// ---- Web app views (what the owner API shows the owner's devices) ----

/** An image description (alt text, the AS2 `name` of an attachment); as long as the fediverse's longest. */
export const MAX_ALT_TEXT_CHARS = 1500;
/** How much of a post a notification quotes. */
export const MAX_QUOTE_CHARS = 280;

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
/** How often a device's "last seen" is written while it uses the API: a write, so not on every request. */
export const DEVICE_SEEN_EVERY_MS = 60_000;
/** How long the API's front thread waits before starting again after it failed. */
export const API_FRONT_RESTART_MS = 1000;

// ---- Command line: the node's lock on its home, standard input ----

/** A lock file this young with no process id in it yet is a start still writing it, not a stale lock. */
export const HOME_LOCK_WRITE_GRACE_MS = 5_000;
/** Tries at taking a home's lock when stale locks are in the way (another start may race for the same one). */
export const HOME_LOCK_ATTEMPTS = 3;
/** What `kith post -` and `kith profile --summary -` read from standard input at most: more than the control endpoint takes. */
export const TEXT_STDIN_MAX_BYTES = 64 * 1024;

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

// ---- net/: framing, the sync and blocks protocols, the DHT, peer penalties ----

const KIB = 1024;
const MIB = 1024 * KIB;

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
export const TREE_PROVIDE_TIMEOUT_MS = 30_000;
/** How long a DHT lookup of a tree's holders runs before it returns what it found. */
export const TREE_FIND_TIMEOUT_MS = 15_000;
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

// ---- The owner API's doors: Host names, per-client throttles, login challenges (api/, node/devices.ts) ----

/** Wrong pairing codes one client address may send per window; past it that address waits, and open codes stay valid for everyone else. */
export const PAIRING_FAILURES_PER_CLIENT = 10;
/**
 * Wrong pairing codes from all addresses together per window: a bound on
 * guesses however many addresses a guesser has (an eight-symbol code has 39
 * bits). Past it pairing pauses until the window passes; no code is voided.
 */
export const PAIRING_FAILURES_TOTAL = 1000;
export const PAIRING_FAILURE_WINDOW_MS = 10 * MINUTE_MS;
/** Login requests (challenges and signed answers) one client address may make per window. */
export const LOGIN_ATTEMPTS_PER_CLIENT = 60;
export const LOGIN_ATTEMPT_WINDOW_MS = MINUTE_MS;
/** Client addresses whose attempts are counted at once; past it the least recently seen are forgotten. */
export const MAX_THROTTLED_CLIENTS = 4096;
/** How long a login challenge may be answered. */
export const LOGIN_CHALLENGE_TTL_MS = 2 * MINUTE_MS;
/**
 * Challenges answered by a successful login, remembered until they expire so
 * a captured answer cannot log in twice. Only successful logins (each needs a
 * paired device's key) add to it; past it logins wait for old ones to expire.
 */
export const MAX_USED_LOGIN_CHALLENGES = 4096;
/** Names the owner may add for the web app (settings: apiHosts), and proxies they may trust (settings: trustedProxies). */
export const MAX_API_HOSTS = 32;
export const MAX_TRUSTED_PROXIES = 16;
/** A post's own `published` later than its arrival by more than this is not shown: the time it arrived is, and the claim is marked. */
export const VIEW_MAX_FUTURE_SKEW_MS = 5 * MINUTE_MS;
// ---- Authority: certificates and revocations (store/authority.ts, store/ingest.ts) ----

/**
 * Unexpired certificates one issuer may have given one key at once. Renewals
 * (a forum member's weekly certificate, a hosted account's monthly one) never
 * reach it, as each stops counting when it expires; past it a new one is
 * refused and nothing changes. Without a cap a hostile followee could hand a
 * follower thousands of valid ones for one key, each weighing on every check
 * of that key (expired ones are weighed only for what was signed while they
 * held, CHAINS_PER_CHECK at most: store/authority.ts).
 */
export const CERTIFICATES_PER_ISSUER_AND_SUBJECT = 32;
/**
 * Chains from one root to one key weighed when checking what the key signed,
 * those that expire last first (or, for something signed before all of them,
 * those that held when it was signed): a bound on one check, whatever a store
 * holds for the key.
 */
export const CHAINS_PER_CHECK = 64;
/** Verdicts on chains (signer and owner) kept in memory; all are dropped when a certificate or revocation is stored. */
export const CHAIN_VERDICTS_CACHED = 4096;
// ---- Finding the way back after a restart or a lost connection (node/redial.ts, node/replication.ts) ----

/** Redialling what the node knows (follow hints, the peer table, the DHT): the wait after the first failure, doubling up to the maximum. */
export const REDIAL = Object.freeze({
  MIN_MS: SECOND_MS,
  MAX_MS: 10 * MINUTE_MS,
  /** After a connection drops, wait this long before a round, so a peer that is restarting has time to listen again and several drops make one round. */
  AFTER_DROP_MS: 500,
  /**
   * A drop of a peer that merely held a copy of something followed (not the
   * one that kept it in reach) starts a round no sooner than this after the
   * last one began.
   */
  QUIET_GAP_MS: 5 * SECOND_MS,
  /**
   * Past this many open connections (half libp2p's limit of 100, so
   * redialling never fights the connection manager's pruning), a scope that
   * a connected peer holds a copy of is left at that, and its person's own
   * node is not dialled as well. A scope nobody connected holds is still dialled.
   */
  CONNECTION_BUDGET: 50,
  /** Dials under way at once in one round. */
  CONCURRENCY: 4,
  /** Candidates (distinct peers or addresses) tried per followed person in one round. */
  PER_PERSON: 6,
  /** Addresses taken from one actor document or peer record. */
  ADDRESSES_PER_PEER: 8,
  /** Peers that once served a scope, remembered as candidates for it. */
  HOLDERS_PER_SCOPE: 4,
  /** DHT lookups for scopes no known peer answers, per round (each waits up to DHT_FIND_TIMEOUT_MS). */
  DHT_LOOKUPS: 4,
  /** One dial gives up after this. */
  DIAL_TIMEOUT_MS: 10 * SECOND_MS,
});

/** A sync cut short (a lost stream, a timeout) while its peer stays connected is tried again after this, doubling up to the maximum. */
export const RESUME_SYNC_MIN_MS = 2 * SECOND_MS;
export const RESUME_SYNC_MAX_MS = 10 * MINUTE_MS;
// ---- Peer discipline: not redialling a peer that refuses us (issue 11) ----

/**
 * A peer that did not answer a dial (it banned us, turned us away, or is
 * down) is dialled again after this, then after twice as long for each dial
 * in a row it did not answer. Each try costs it one of the few inbound
 * connections a second libp2p takes from an address.
 */
export const PEER_REDIAL_MIN_MS = 2 * SECOND_MS;
/** The longest wait between dials of a peer that keeps not answering: a first ban's length. */
export const PEER_REDIAL_MAX_MS = PEER_BASE_BAN_MS;
// ---- What posts carry, petnames and search (issue 12, items 4 and 5) ----

/** Longest content warning (a post's `summary`), plain text. */
export const MAX_CONTENT_WARNING_CHARS = 500;
/** Most hashtags and mentions one post carries; a post naming more is refused, not cut. */
export const MAX_POST_TAGS = 50;
/** Longest hashtag, without its '#'. */
export const MAX_HASHTAG_CHARS = 100;
/** Longest petname; one line, no control or formatting characters. */
export const MAX_PETNAME_CHARS = 64;
/** Longest search query, and the most words in it that count. */
export const MAX_SEARCH_QUERY_CHARS = 200;
export const MAX_SEARCH_TERMS = 12;
/** Results of one search: posts and people each, by default and at most. */
export const SEARCH_DEFAULT_LIMIT = 20;
export const SEARCH_MAX_LIMIT = 100;

// ---- Inbox delivery (issue 12, item 1: node/inbox*.ts, store/inbox.ts) ----

/** Delivering activities addressed to a person to their node, and holding them (sealed) while it is away. */
export const INBOX = Object.freeze({
  /** Largest frame on an inbox stream: an object at the ingest limit with what it carries (INBOX_CARRIED), sealed and base64'd, with room for its envelope. */
  MAX_FRAME_BYTES: 128 * 1024,
  /** Deadline for each frame on an inbox stream, both ways. */
  FRAME_TIMEOUT_MS: 10 * SECOND_MS,
  /** Opening an inbox stream to a peer gives up after this. */
  DIAL_TIMEOUT_MS: 10 * SECOND_MS,
  /** Deliveries (or holds) answered on one stream before it is closed; a sender with more opens another. */
  REQUESTS_PER_STREAM: 256,
  /** Deliveries one sender (by the key that signed them) may have stored here per minute; past it they are refused as rate-limited. */
  PER_SENDER_PER_MINUTE: 60,
  /** Requests one peer may make per minute, whoever they are from: bounds the signatures a peer can make this node check. */
  PER_PEER_PER_MINUTE: 1200,
  /** Senders (and peers) counted at once; past it, counts from older windows are forgotten. */
  MAX_COUNTED: 10_000,
  /** Sealed deliveries a holder keeps for one recipient at most. */
  HELD_PER_RECIPIENT: 500,
  /** Sealed deliveries a holder keeps from one sender at most (across recipients). */
  HELD_PER_SENDER: 100,
  /** A held delivery nobody claimed is dropped after this. */
  HELD_EXPIRY_MS: 14 * 24 * HOUR_MS,
  /** How far in the future a held delivery's time may claim to be. */
  HELD_CLOCK_SKEW_MS: 5 * MINUTE_MS,
  /** Held deliveries handed over per claim; the recipient claims again for more. */
  HANDOVER_BATCH: 100,
  /** Holders a delivery is left with when the recipient's node cannot be reached. */
  HOLDERS_PER_DELIVERY: 2,
  /** Home-node addresses (and holders) tried per delivery attempt. */
  CANDIDATES_PER_ATTEMPT: 6,
  /** A delivery that failed waits this long before the next try, doubling up to the maximum. */
  RETRY_MIN_MS: 5 * SECOND_MS,
  RETRY_MAX_MS: 30 * MINUTE_MS,
  /** A delivery neither made nor held within this is given up (and logged). */
  QUEUE_EXPIRY_MS: 7 * 24 * HOUR_MS,
  /** Deliveries waiting to go out at most; a new one past it is refused. */
  QUEUE_MAX: 10_000,
  /** Deliveries attempted at once. */
  CONCURRENCY: 4,
  /** Looking up holders of a recipient's scope in the DHT gives up after this. */
  DHT_FIND_TIMEOUT_MS: 5 * SECOND_MS,
  /** Wait after a peer identifies before asking it for deliveries held for us (its protocols are known by then). */
  CLAIM_DELAY_MS: 300,
  /** A peer identifies again whenever its addresses change: it is asked (and offered) held deliveries at most this often. */
  RECONTACT_MIN_MS: 60 * SECOND_MS,
});

// ---- Inbox: what a delivery carries beside its activity, for a recipient that does not follow the sender (issue 12) ----

export const INBOX_CARRIED = Object.freeze({
  /** Documents one delivery carries at most: the sender's actor, the certificates from the sender to the signing key, their revocations. */
  MAX_DOCUMENTS: 8,
  /** Their bytes together (as JSON) at most; a sender whose chain does not fit sends the activity alone. */
  MAX_BYTES: 24 * 1024,
  /** Room for the wrapping of a sealed delivery that carries documents (its type and member names). */
  WRAPPING_BYTES: 256,
});

// ---- Interactions: likes, boosts, edits, deletes (issue 12) ----

/** Versions of one post (its Create and the Updates that edit it) read when choosing the newest to show. */
export const MAX_POST_VERSIONS = 100;

// ---- Follows both sides know: followers and follow requests (issue 12, item 2) ----

/** Followers (or requests waiting) listed at once: a list longer than this is a flood, not a crowd to scroll. */
export const MAX_FOLLOWERS_LISTED = 1000;

// ---- The web app and owner API (api/api-server.ts, cli/start-command.ts) ----
/** Where the web app listens unless told otherwise (any free port when another node holds it). */
export const DEFAULT_API_PORT = 7420;

// ---- Checkpoints (core/checkpoint.ts, node/checkpointing.ts, net/sync.ts): signed statements of a scope ----

/** Largest checkpoint document, as JSON: it travels in a sync HELLO (SYNC_MAX_HELLO_BYTES). */
export const CHECKPOINT_MAX_BYTES = 2 * KIB;
/** Most items one checkpoint may claim to cover: far past any person's outbox, small enough that a count is a count. */
export const CHECKPOINT_MAX_COUNT = 100_000_000;
/** A scope with fewer items gets no checkpoint: checking each proof costs less than a hash over the scope. */
export const CHECKPOINT_MIN_ITEMS = 256;
/**
 * The author's node signs a new checkpoint of its own scope, when a peer asks
 * for the scope, once this many items came after the last one: often enough
 * that a new follower checks few proofs one by one, rarely enough that signing
 * (one hash over the scope) is no cost.
 */
export const CHECKPOINT_STALE_ITEMS = 256;
/** A sync lacking fewer objects than this checks every proof: using a checkpoint costs a hash over the whole scope. */
export const SYNC_CHECKPOINT_MIN_NEED = 256;
/**
 * A sync lacking more objects than this checks every proof as it goes: the
 * checkpoint path holds the digests and times of every object lacked (about
 * 100 bytes each) until the hash over them is checked, before it fetches.
 */
export const SYNC_CHECKPOINT_MAX_NEED = 2_000_000;
/** Peer and scope pairs whose checkpoint was refused, remembered at once (node/replication.ts): a hostile peer cannot grow the set without bound. */
export const CHECKPOINT_REFUSALS_KEPT = 1024;

// ---- Hosted accounts and node-root blocks (issue 13 item 5: node/accounts.ts, store/account-vouches.ts) ----
/** How long a node root's certificate for an account it hosts holds; the node signs a new one with the next actor version after that. */
export const ACCOUNT_CERTIFICATE_LIFETIME_MS = 365 * 24 * 3600_000;
/** How long the publish certificate a hosted person's device signs for the node's key should hold: the device is asked to renew it before then. */
export const ACCOUNT_PUBLISH_LIFETIME_MS = 30 * 24 * 3600_000;
/** From this long before its publish certificate runs out, the account's device is asked (GET /api/account) to sign a new one. */
export const ACCOUNT_PUBLISH_RENEW_BEFORE_MS = 7 * 24 * 3600_000;
/** From this long before a node's account certificate for someone it hosts runs out, it signs a new one when their device next checks in or posts. */
export const ACCOUNT_CERTIFICATE_RENEW_BEFORE_MS = 30 * 24 * 3600_000;
/** A code from `kith account add` is claimed within this time, or made again. */
export const ACCOUNT_OFFER_TTL_MS = 10 * 60_000;
/** Account codes waiting at once on one node. */
export const MAX_ACCOUNT_OFFERS = 8;
/** Signers whose vouching root (or lack of one) is kept in memory (store/account-vouches.ts); the table is small, the question is asked per post. */
export const ACCOUNT_VOUCHES_CACHED = 4096;
// ---- Write speed: what a follower does with a sync's objects after storing them (issue 15) ----
/** Queued posts indexed for search per transaction, between two turns of the event loop: a few milliseconds of work. */
export const SEARCH_INDEX_SLICE = 256;
/** Queued posts indexed per transaction when a search needs every one of them now. */
export const SEARCH_INDEX_ALL_SLICE = 4096;
/** How long after a commit the search queue is drained: batches stored meanwhile are indexed together. */
export const SEARCH_INDEX_DELAY_MS = 20;
/** A sync fetching at least this many objects holds search indexing until it ends (node/replication.ts): then indexed in a few large slices. */
export const SEARCH_HOLD_MIN_NEED = 1000;
/** While held, how often the search queue looks again. */
export const SEARCH_INDEX_HELD_MS = 250;
// ---- Follower keys: key-agreement keys, epoch keys, followers-only posts (issue 14: core/follower-keys.ts, node/key-agreement.ts, node/follower-epochs.ts) ----

const DAY_MS = 24 * 60 * 60 * 1000;
/** A published X25519 key-agreement key is replaced by a new one this often. */
export const KEY_AGREEMENT_ROTATION_MS = 30 * DAY_MS;
/**
 * A replaced key-agreement key's private half is kept this long, then erased.
 * Longer than an epoch lives: an epoch key sealed to the old key just before
 * it was replaced is renewed (to the new key) before this runs out.
 */
export const KEY_AGREEMENT_GRACE_MS = 35 * DAY_MS;
/** How long an epoch key may be used for new followers-only posts. */
export const EPOCH_LIFETIME_MS = 30 * DAY_MS;
/** A node renews its epoch (for followers still approved) this long before it expires. */
export const EPOCH_RENEW_BEFORE_MS = 3 * DAY_MS;
/** How often a running node checks whether its key-agreement key or its epoch is due for renewal. */
export const FOLLOWER_KEYS_CHECK_MS = 60 * 60 * 1000;
