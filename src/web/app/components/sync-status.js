import { html } from 'htm/preact';
import { useStore } from '../hooks.js';
import { sync } from '../state.js';

/** "Syncing with peers… received X of Y" while any sync runs. Always present as a status region. */
export function SyncStatus() {
  const { states } = useStore(sync);
  const running = Object.values(states).filter((s) => s.active);
  const received = running.reduce((n, s) => n + (s.received ?? 0), 0);
  const needed = running.reduce((n, s) => n + (s.needed ?? 0), 0);
  return html` <div class=${running.length ? 'sync-status is-active' : 'sync-status'} role="status" data-testid="sync-status">
    ${
      running.length > 0 &&
      html` <span>${needed > 0 ? `Syncing with peers… received ${received} of ${needed}` : 'Syncing with peers…'}</span>
        ${
          needed > 0
            ? html`<progress max=${needed} value=${Math.min(received, needed)} aria-hidden="true"></progress>`
            : html`<progress aria-hidden="true"></progress>`
        }`
    }
  </div>`;
}

/** Applies a `sync` event (SyncState) to the store. */
export function applySync(s) {
  sync.set((st) => {
    if (!s.active && s.scope === undefined && s.peer === undefined) return { states: {} };
    const states = { ...st.states };
    const key = `${s.scope ?? ''}|${s.peer ?? ''}`;
    if (s.active) states[key] = s;
    else delete states[key];
    return { states };
  });
}

/** Replaces the store with GET /api/status `syncing`. */
export function setSyncing(list) {
  const states = {};
  for (const s of list ?? []) if (s.active !== false) states[`${s.scope ?? ''}|${s.peer ?? ''}`] = { ...s, active: true };
  sync.set({ states });
}
