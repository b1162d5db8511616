import { html } from 'htm/preact';
import { shortDid } from '../format.js';

/**
 * What goes beside a person's shown name (format.js displayName): when it is
 * your petname for them, the name they chose for themselves, quoted and said
 * to be theirs (anyone may choose any name); otherwise the start of their key.
 */
export function NameNote({ person, class: cls = 'post-did muted' }) {
  if (!person?.did) return null;
  if (person.petname && person.name) {
    return html`<span class=${`${cls} self-name`} title="The name they chose for themselves" data-testid="self-name"
      >“${person.name}”<span class="visually-hidden"> (their own name)</span></span
    >`;
  }
  if (person.petname || person.name) return html`<span class=${cls} title=${person.did}>${shortDid(person.did)}</span>`;
  return null;
}
