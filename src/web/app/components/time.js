import { html } from 'htm/preact';
import { useNow } from '../hooks.js';
import { fullTime, relativeTime } from '../format.js';

/**
 * Relative time ("5m", or "5m ago" with ago) with the full date for hover and assistive tech.
 */
export function Time({ iso, ago = false }) {
  const now = useNow();
  const full = fullTime(iso);
  const rel = relativeTime(iso, now);
  const shown = !ago ? rel : rel === 'now' ? 'just now' : /^\d+[mhd]$/.test(rel) ? `${rel} ago` : rel;
  return html`<time datetime=${iso} title=${full}><span aria-hidden="true">${shown}</span><span class="visually-hidden">${full}</span></time>`;
}

/**
 * A post whose author dated it in the future: it is shown at the time it
 * arrived, and this says so, since a date ahead is a way to stay on top.
 */
export function ClaimedDate({ iso }) {
  const claim = `The author dated this post ${fullTime(iso)}, which was in the future when it arrived; it is shown at the time it arrived.`;
  return html`<span class="post-claim muted" data-testid="post-claimed-date" title=${claim}
    ><span aria-hidden="true">dated ahead</span><span class="visually-hidden">${claim}</span></span
  >`;
}
