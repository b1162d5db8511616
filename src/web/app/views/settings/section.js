import { html } from 'htm/preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { errorText } from '../../components/alert.js';

/** A settings section: a card with an h2. */
export function Section({ id, title, children }) {
  return html` <section class="card settings-section" aria-labelledby=${`${id}-h`} id=${id}>
    <h2 id=${`${id}-h`}>${title}</h2>
    ${children}
  </section>`;
}

/**
 * While a code is shown (`waiting`), reloads the list every few seconds and
 * calls onArrive(item) for an item of `items` that was not there when the
 * code was made: the device or account it paired.
 */
export function useArrival(waiting, items, keyOf, reload, onArrive) {
  const known = useRef(null);
  useEffect(() => {
    if (!waiting) return undefined;
    known.current = new Set(items.map(keyOf));
    const t = setInterval(reload, 4000);
    return () => clearInterval(t);
  }, [waiting]);
  useEffect(() => {
    if (!waiting || !known.current) return;
    const added = items.find((i) => !known.current.has(keyOf(i)));
    if (added) onArrive(added);
  });
}

/** Loads a value with GET; returns {data, error, reload, setData}. */
export function useLoad(load) {
  const [state, setState] = useState({ data: null, error: '' });
  const reload = useCallback(
    () =>
      load().then(
        (data) => setState({ data, error: '' }),
        (e) => setState((s) => ({ ...s, error: errorText(e) })),
      ),
    [],
  );
  useEffect(() => {
    reload();
  }, []);
  return { ...state, reload, setData: (data) => setState({ data, error: '' }) };
}
