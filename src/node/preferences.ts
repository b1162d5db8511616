import { isIP } from 'node:net';
import { fail } from '../core/errors.js';
import { MAX_API_HOSTS, MAX_TRUSTED_PROXIES } from '../core/constants.js';
import { isJsonObject, type JsonObject } from '../core/types.js';
import type { SettingsTable } from '../store/settings.js';

/** What the owner can change from their devices or with `kith settings` (config.json holds the operator's limits). */
export interface Preferences {
  /** Keep (pin) the media of people followed, so it shows without their node being up. */
  readonly keepFollowedMedia: boolean;
  /** How long a newly paired device stays paired. */
  readonly deviceLifetimeDays: number;
  /** Answer mDNS on the local network, so the owner's devices find the node. */
  readonly discoverable: boolean;
  /**
   * Names the web app answers to besides this machine's own (loopback, its
   * addresses, its host name): a name on the home network's DNS, or the name
   * a reverse proxy forwards. Any other name is refused, against DNS rebinding.
   */
  readonly apiHosts: readonly string[];
  /**
   * Addresses of reverse proxies in front of the web app, whose
   * X-Forwarded-For and X-Forwarded-Proto are believed: the client's
   * address (for throttling) and whether it came over https (Secure cookies).
   */
  readonly trustedProxies: readonly string[];
  /**
   * Keep notifications from people the owner neither follows nor is
   * followed by out of the main list: they are kept, listed apart as filtered.
   */
  readonly filterStrangers: boolean;
  /** A locked account approves each follower (`kith approve`); an unlocked one accepts every Follow at once. */
  readonly locked: boolean;
}

export const DEFAULT_PREFERENCES: Preferences = {
  keepFollowedMedia: true,
  deviceLifetimeDays: 365,
  discoverable: true,
  apiHosts: [],
  trustedProxies: [],
  filterStrangers: false,
  locked: false,
};

const KEY = 'preferences';
const MAX_LIFETIME_DAYS = 730;
const DNS_LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** An IP address as the socket reports it, made comparable: an IPv4 address mapped into IPv6 is the IPv4 address. */
export function normalizeAddress(address: string): string {
  const a = address.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped ? mapped[1]! : a;
}

/** A host name as the owner types it: lower case, no trailing dot, no port. */
export function normalizeHostName(v: unknown): string {
  if (typeof v !== 'string') return fail('malformed', 'apiHosts lists host names, like "kith.home" or "pi.local"');
  const name = v.trim().toLowerCase().replace(/\.$/, '');
  if (isIP(name.replace(/^\[(.*)\]$/, '$1')) !== 0) return name.replace(/^\[(.*)\]$/, '$1');
  if (name.length === 0 || name.length > 253 || !name.split('.').every((l) => DNS_LABEL.test(l))) {
    fail('malformed', `"${v.slice(0, 60)}" is not a host name; give names like "kith.home" or "pi.local", without a port or a scheme`);
  }
  return name;
}

function listOf(v: unknown, key: string, max: number, item: (x: unknown) => string): string[] {
  if (!Array.isArray(v)) return fail('malformed', `${key} must be a list`);
  if (v.length > max) fail('too-large', `${key} holds at most ${max} entries`);
  return [...new Set(v.map(item))];
}

function proxyAddress(v: unknown): string {
  if (typeof v !== 'string' || isIP(v.trim()) === 0) {
    return fail('malformed', `trustedProxies lists IP addresses of reverse proxies, like "127.0.0.1"; "${String(v).slice(0, 60)}" is not one`);
  }
  return normalizeAddress(v.trim());
}

export function loadPreferences(settings: SettingsTable): Preferences {
  const raw = settings.get(KEY);
  return raw === undefined ? DEFAULT_PREFERENCES : { ...DEFAULT_PREFERENCES, ...(JSON.parse(raw) as Partial<Preferences>) };
}

/** Checks a partial update whole before saving any of it; an unknown key or a bad value is refused with the reason. */
export function updatePreferences(settings: SettingsTable, patch: unknown): Preferences {
  if (!isJsonObject(patch)) return fail('malformed', 'settings must be a JSON object');
  const next: Record<string, unknown> = { ...loadPreferences(settings) };
  for (const [k, v] of Object.entries(patch)) {
    if (!(k in DEFAULT_PREFERENCES)) fail('malformed', `"${k.slice(0, 40)}" is not a setting; known: ${Object.keys(DEFAULT_PREFERENCES).join(', ')}`);
    if (k === 'deviceLifetimeDays') {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_LIFETIME_DAYS) {
        fail('malformed', `deviceLifetimeDays must be a whole number of days from 1 to ${MAX_LIFETIME_DAYS}`);
      }
      next[k] = v;
    } else if (k === 'apiHosts') next[k] = listOf(v, k, MAX_API_HOSTS, normalizeHostName);
    else if (k === 'trustedProxies') next[k] = listOf(v, k, MAX_TRUSTED_PROXIES, proxyAddress);
    else if (typeof v !== 'boolean') fail('malformed', `${k} must be true or false`);
    else next[k] = v;
  }
  settings.set(KEY, JSON.stringify(next));
  return next as unknown as Preferences;
}

/**
 * A setting as typed on the command line (`kith settings set KEY VALUE…`),
 * as the JSON change updatePreferences takes: true/false, a number, or a
 * list (several values, or one with commas; none empties it).
 */
export function preferenceFromText(key: string, values: readonly string[]): JsonObject {
  if (!(key in DEFAULT_PREFERENCES)) fail('malformed', `"${key.slice(0, 40)}" is not a setting; known: ${Object.keys(DEFAULT_PREFERENCES).join(', ')}`);
  const current = DEFAULT_PREFERENCES[key as keyof Preferences];
  if (Array.isArray(current)) return { [key]: values.flatMap((v) => v.split(',')).filter((v) => v.trim().length > 0) };
  if (values.length !== 1) fail('malformed', `${key} takes one value`);
  const text = values[0]!;
  if (typeof current === 'boolean') {
    if (text !== 'true' && text !== 'false') fail('malformed', `${key} must be true or false`);
    return { [key]: text === 'true' };
  }
  if (!/^\d+$/.test(text)) fail('malformed', `${key} must be a whole number`);
  return { [key]: Number(text) };
}
