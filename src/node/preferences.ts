import { fail } from '../core/errors.js';
import { isJsonObject } from '../core/types.js';
import type { SettingsTable } from '../store/settings.js';

/** What the owner can change from their devices (config.json holds the operator's limits). */
export interface Preferences {
  /** Keep (pin) the media of people followed, so it shows without their node being up. */
  readonly keepFollowedMedia: boolean;
  /** How long a newly paired device stays paired. */
  readonly deviceLifetimeDays: number;
  /** Answer mDNS on the local network, so the owner's devices find the node. */
  readonly discoverable: boolean;
}

export const DEFAULT_PREFERENCES: Preferences = { keepFollowedMedia: true, deviceLifetimeDays: 365, discoverable: true };

const KEY = 'preferences';
const MAX_LIFETIME_DAYS = 730;

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
    } else if (typeof v !== 'boolean') fail('malformed', `${k} must be true or false`);
    next[k] = v;
  }
  settings.set(KEY, JSON.stringify(next));
  return next as unknown as Preferences;
}
