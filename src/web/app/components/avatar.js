import { html } from 'htm/preact';
import { displayName } from '../format.js';
import { fetchMissingMedia } from '../media.js';

function hue(s) {
  let h = 0;
  for (const c of String(s)) h = (h * 31 + c.charCodeAt(0)) % 360;
  return h;
}

/** A person's picture, or their initial on a colour made from their did. Decorative: the name sits next to it. */
export function Avatar({ person, size = 'md' }) {
  if (person?.icon) {
    return html`<img
      class=${`avatar avatar--${size}`}
      src=${person.icon}
      alt=""
      loading="lazy"
      decoding="async"
      onError=${fetchMissingMedia}
      data-testid="avatar"
    />`;
  }
  const letter = (displayName(person).replace(/^z6Mk/, '').trim()[0] || '?').toUpperCase();
  return html`<span class=${`avatar avatar--${size} avatar--letter`} aria-hidden="true" style=${{ backgroundColor: `hsl(${hue(person?.did)} 45% 38%)` }}
    >${letter}</span
  >`;
}
