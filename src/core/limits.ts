import { fail } from './errors.js';
import type { Json } from './types.js';

/**
 * Size limits for anything that arrives from outside. Checked before any
 * expensive work (signature verification, storage). All configurable.
 */
export interface Limits {
  /** Largest serialised object, in bytes. */
  readonly maxObjectBytes: number;
  /** Deepest nesting of arrays and objects. */
  readonly maxDepth: number;
  /** Most members in one object or items in one array. */
  readonly maxMembers: number;
  /** Longest single string, in UTF-16 code units. */
  readonly maxStringLength: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxObjectBytes: 64 * 1024,
  maxDepth: 16,
  maxMembers: 1024,
  maxStringLength: 32 * 1024,
});

export function byteLength(input: string | Uint8Array): number {
  return typeof input === 'string' ? Buffer.byteLength(input, 'utf8') : input.byteLength;
}

/** Parses JSON text after checking its size, then checks its shape against the limits. */
export function parseJsonLimited(input: string | Uint8Array, limits: Limits = DEFAULT_LIMITS): Json {
  const size = byteLength(input);
  if (size > limits.maxObjectBytes) fail('too-large', `object is ${size} bytes; the limit is ${limits.maxObjectBytes}`);
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('utf8');
  let value: Json;
  try {
    value = JSON.parse(text) as Json;
  } catch (e) {
    return fail('malformed', `not valid JSON: ${(e as Error).message}`);
  }
  checkShape(value, limits);
  return value;
}

/** Walks a parsed value once, refusing what is too deep, too wide or too long. */
export function checkShape(value: unknown, limits: Limits = DEFAULT_LIMITS, depth = 0): void {
  if (typeof value === 'string') {
    if (value.length > limits.maxStringLength) fail('too-large', `a string is ${value.length} characters; the limit is ${limits.maxStringLength}`);
    return;
  }
  if (typeof value !== 'object' || value === null) {
    if (typeof value === 'number' && !Number.isFinite(value)) fail('malformed', 'numbers must be finite');
    if (value !== null && typeof value !== 'number' && typeof value !== 'boolean') fail('malformed', `${typeof value} is not a JSON value`);
    return;
  }
  if (depth >= limits.maxDepth) fail('too-large', `nesting is deeper than ${limits.maxDepth} levels`);
  if (Array.isArray(value)) {
    if (value.length > limits.maxMembers) fail('too-large', `an array has ${value.length} items; the limit is ${limits.maxMembers}`);
    for (const v of value) checkShape(v, limits, depth + 1);
    return;
  }
  const keys = Object.keys(value);
  if (keys.length > limits.maxMembers) fail('too-large', `an object has ${keys.length} members; the limit is ${limits.maxMembers}`);
  for (const k of keys) {
    if (k.length > limits.maxStringLength) fail('too-large', 'a member name is too long');
    checkShape((value as Record<string, unknown>)[k], limits, depth + 1);
  }
}
