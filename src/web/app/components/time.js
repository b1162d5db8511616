import { html } from 'htm/preact';
import { useNow } from '../hooks.js';
import { fullTime, relativeTime } from '../format.js';

/** Relative time ("5m") with the full date for hover and assistive tech. */
export function Time({ iso }) {
  const now = useNow();
  const full = fullTime(iso);
  return html`<time datetime=${iso} title=${full}><span aria-hidden="true">${relativeTime(iso, now)}</span><span class="visually-hidden">${full}</span></time>`;
}
