// Small shared stores: a value, a way to change it, and subscribers.

export function createStore(initial) {
  let value = initial;
  const subscribers = new Set();
  return {
    get: () => value,
    set(patch) {
      value = typeof patch === 'function' ? patch(value) : { ...value, ...patch };
      for (const fn of [...subscribers]) fn(value);
    },
    subscribe(fn) {
      subscribers.add(fn);
      return () => subscribers.delete(fn);
    },
  };
}

/**
 * status: 'loading' | 'insecure' | 'unsupported' | 'unpaired' | 'loggedout' | 'offline' | 'ready'
 *   | 'account' (a hosted account's device) | 'account-gone' (the node no longer hosts it)
 * me: GET /api/me answer once ready; account: GET /api/account's account on a hosted account's device;
 * notice: why the Pair screen is shown.
 */
export const auth = createStore({ status: 'loading', me: null, notice: '' });

/** Unread notifications, for the nav badge. */
export const unread = createStore({ count: 0 });

/** Unread direct messages, for the Messages badge. */
export const dmUnread = createStore({ count: 0 });

/** Running syncs keyed by scope and peer (SyncState objects). */
export const sync = createStore({ states: {} });

/** Text for the polite live region. */
export const announcer = createStore({ message: '', n: 0 });

export function announce(message) {
  announcer.set((s) => ({ message, n: s.n + 1 }));
}
