import { useEffect, useRef, useState } from 'preact/hooks';
import { on } from './events.js';
import { errorText } from './components/alert.js';

/** The current value of a store from state.js; re-renders on change. */
export function useStore(store) {
  const [value, setValue] = useState(store.get());
  useEffect(() => {
    setValue(store.get());
    return store.subscribe(setValue);
  }, [store]);
  return value;
}

/** Calls fn for each server-sent event `name` while the component is mounted. */
export function useEvent(name, fn) {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => on(name, (data) => ref.current(data)), [name]);
}

const tickers = new Set();
let timer = null;

/** Re-renders about every 30 s, for relative times. */
export function useNow() {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    tickers.add(setNow);
    if (!timer)
      timer = setInterval(() => {
        const t = Date.now();
        for (const f of tickers) f(t);
      }, 30000);
    return () => {
      tickers.delete(setNow);
      if (tickers.size === 0) {
        clearInterval(timer);
        timer = null;
      }
    };
  }, []);
  return now;
}

/** An action with busy and error state: run() (or run as an event handler) runs fn; run(other) runs the function other. */
export function useAction(fn) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const run = async (other) => {
    setBusy(true);
    setError('');
    try {
      await (typeof other === 'function' ? other : fn)();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

/** Sets document.title while mounted. */
export function useTitle(title) {
  useEffect(() => {
    document.title = title ? `${title} · Kith` : 'Kith';
  }, [title]);
}
