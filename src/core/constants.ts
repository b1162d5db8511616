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
