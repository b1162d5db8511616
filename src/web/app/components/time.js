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
