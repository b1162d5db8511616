import { html } from 'htm/preact';
import { useCallback, useEffect, useState } from 'preact/hooks';
import { errorText } from '../../components/alert.js';

/** A settings section: a card with an h2. */
export function Section({ id, title, children }) {
  return html` <section class="card settings-section" aria-labelledby=${`${id}-h`} id=${id}>
    <h2 id=${`${id}-h`}>${title}</h2>
    ${children}
  </section>`;
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
