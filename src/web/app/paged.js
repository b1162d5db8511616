import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from './components/alert.js';

/**
 * A list loaded page by page. load(before) → {items, next, ...rest}.
 * Returns {items, next, loading, error, extra (the rest of the first page), loadMore, reload, setItems}.
 * key: when it changes the list starts again.
 */
export function usePaged(load, key) {
  const [state, setState] = useState({ items: [], next: null, loading: true, error: '', extra: null, loaded: false });
  const loadRef = useRef(load);
  loadRef.current = load;
  const busy = useRef(false);
  const generation = useRef(0);
  /** Items put in (live) while a fresh first page loads: that page may have been read before they were stored. */
  const refreshing = useRef(false);
  const addedMeanwhile = useRef(new Map());

  const fetchPage = useCallback(async (before, replace) => {
    if (busy.current && !replace) return;
    busy.current = true;
    const gen = replace ? ++generation.current : generation.current;
    if (replace) {
      refreshing.current = true;
      addedMeanwhile.current = new Map();
    }
    setState((s) => ({ ...s, loading: true, error: '' }));
    try {
      const page = await loadRef.current(before);
      if (gen !== generation.current) return;
      const { items = [], next = null, ...extra } = page ?? {};
      setState((s) => {
        const fresh = new Set(items.map(idOf));
        const base = replace ? [...addedMeanwhile.current.values()].filter((i) => !fresh.has(idOf(i))) : s.items;
        const seen = new Set(base.map(idOf));
        return {
          items: [...base, ...items.filter((i) => !seen.has(idOf(i)))],
          next,
          loading: false,
          error: '',
          extra: replace ? extra : s.extra,
          loaded: true,
        };
      });
    } catch (e) {
      if (gen === generation.current) setState((s) => ({ ...s, loading: false, error: errorText(e), loaded: true }));
    } finally {
      if (gen === generation.current) {
        busy.current = false;
        refreshing.current = false;
      }
    }
  }, []);

  useEffect(() => {
    setState({ items: [], next: null, loading: true, error: '', extra: null, loaded: false });
    busy.current = false;
    fetchPage(undefined, true);
  }, [key]);

  const current = useRef(state);
  current.current = state;
  const loadMore = useCallback(() => {
    const s = current.current;
    if (s.next && !busy.current) fetchPage(s.next, false);
  }, []);

  const reload = useCallback(() => fetchPage(undefined, true), []);
  const setItems = useCallback((fn) => {
    const meanwhile = refreshing.current ? addedMeanwhile.current : null;
    setState((s) => {
      const items = fn(s.items);
      if (meanwhile) {
        const had = new Set(s.items.map(idOf));
        for (const i of items) if (!had.has(idOf(i))) meanwhile.set(idOf(i), i);
      }
      return { ...s, items };
    });
  }, []);

  return { ...state, loadMore, reload, setItems };
}

/** Stable identity for list items (posts and notifications). */
export function idOf(item) {
  return item?.id ?? (item?.post ? `${item.kind}:${item.post.id}` : JSON.stringify(item));
}
