import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { Alert } from './alert.js';

/**
 * The end of a paged list: loads more when scrolled into view, with a
 * "Load more" button for keyboard users and when observing is not possible.
 */
export function More({ list, count, empty }) {
  const sentinel = useRef(null);
  const listRef = useRef(list);
  listRef.current = list;

  useEffect(() => {
    const el = sentinel.current;
    if (!el || !('IntersectionObserver' in window)) return undefined;
    const io = new IntersectionObserver(
      (entries) => {
        const l = listRef.current;
        if (entries.some((e) => e.isIntersecting) && l.next && !l.loading && !l.error) l.loadMore();
      },
      { rootMargin: '600px 0px' },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [count, list.next, list.loading]);

  return html` <div class="more">
    <${Alert} message=${list.error} />
    ${list.loading && html`<p class="muted loading" role="status">Loading…</p>`}
    ${!list.loading && list.loaded && count === 0 && !list.error && html`<p class="empty">${empty}</p>`}
    ${list.next && !list.loading && html`<button type="button" class="button button--quiet" onClick=${list.loadMore}>Load more</button>`}
    ${list.error && !list.next && html`<button type="button" class="button button--quiet" onClick=${list.reload}>Try again</button>`}
    ${!list.next && !list.loading && count > 0 && html`<p class="muted end">You're all caught up.</p>`}
    <div ref=${sentinel} class="sentinel" aria-hidden="true"></div>
  </div>`;
}
