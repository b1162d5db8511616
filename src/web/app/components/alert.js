import { html } from 'htm/preact';

/** An error or notice people must not miss (role="alert"). Renders nothing without a message. */
export function Alert({ message, kind = 'error' }) {
  if (!message) return null;
  return html`<div class=${`alert alert--${kind}`} role="alert" data-testid="alert">${message}</div>`;
}

/** The message of anything thrown. */
export function errorText(e) {
  return e?.message || String(e);
}
