import { html } from 'htm/preact';
import { useStore } from '../hooks.js';
import { announcer } from '../state.js';

/** The polite live region that reads out announce() messages. */
export function LiveRegion() {
  const { message, n } = useStore(announcer);
  // A zero-width space on odd counts makes a repeated message count as new text.
  return html`<div class="visually-hidden" aria-live="polite" aria-atomic="true" data-testid="live">${message}${n % 2 ? '\u200b' : ''}</div>`;
}
