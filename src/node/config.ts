import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../core/errors.js';
import { DEFAULT_LIMITS, type Limits } from '../core/limits.js';
import { isJsonObject } from '../core/types.js';
import { DEFAULT_SYNC_LIMITS, type SyncLimits } from '../net/sync.js';
import type { Home } from './home.js';

/**
 * Optional settings in `<home>/config.json`, for the limits an operator may
 * want to tighten or loosen. Unknown keys and bad values are refused with a
 * reason rather than ignored, so a typo never silently leaves a default.
 *
 *   { "limits": { "maxObjectBytes": 65536, "maxDepth": 16, "maxMembers": 1024, "maxStringLength": 32768 },
 *     "sync": { "readTimeoutMs": 30000, "maxRounds": 64 },
 *     "maxSyncsPerMinute": 120 }
 */
export interface NodeConfig {
  readonly limits: Limits;
  readonly sync: SyncLimits;
  readonly maxSyncsPerMinute: number;
}

export const DEFAULT_CONFIG: NodeConfig = { limits: DEFAULT_LIMITS, sync: DEFAULT_SYNC_LIMITS, maxSyncsPerMinute: 120 };

function positive(v: unknown, where: string, max = 1e9): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > max) fail('malformed', `${where} must be a whole number from 1 to ${max}`);
  return v;
}

function section<T extends object>(v: unknown, defaults: T, where: string): T {
  if (v === undefined) return defaults;
  if (!isJsonObject(v)) return fail('malformed', `${where} must be an object`);
  const out = { ...defaults } as Record<string, unknown>;
  for (const [k, x] of Object.entries(v)) {
    if (!(k in defaults) || typeof (defaults as Record<string, unknown>)[k] !== 'number') fail('malformed', `${where}.${k} is not a setting Kith knows`);
    out[k] = positive(x, `${where}.${k}`);
  }
  return out as T;
}

export function loadConfig(home: Home): NodeConfig {
  let text: string;
  try {
    text = readFileSync(join(home.root, 'config.json'), 'utf8');
  } catch {
    return DEFAULT_CONFIG;
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return fail('malformed', `config.json is not valid JSON: ${(e as Error).message}`);
  }
  if (!isJsonObject(v)) return fail('malformed', 'config.json must hold a JSON object');
  for (const k of Object.keys(v))
    if (!['limits', 'sync', 'maxSyncsPerMinute'].includes(k)) fail('malformed', `config.json: "${k}" is not a setting Kith knows`);
  const limits = section(v.limits, DEFAULT_LIMITS, 'limits');
  const { reconcile, ...syncNumbers } = DEFAULT_SYNC_LIMITS;
  const sync = { ...section(v.sync, syncNumbers, 'sync'), reconcile, maxObjectBytes: limits.maxObjectBytes };
  const maxSyncsPerMinute = v.maxSyncsPerMinute === undefined ? DEFAULT_CONFIG.maxSyncsPerMinute : positive(v.maxSyncsPerMinute, 'maxSyncsPerMinute', 100_000);
  return { limits, sync, maxSyncsPerMinute };
}
