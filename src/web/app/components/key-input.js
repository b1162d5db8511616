import { html } from 'htm/preact';

/** A labelled field for a key or an address: typed exactly, so no autocomplete, capitals or spelling fixes. */
export function KeyInput({ id, label, testid, value, onInput, placeholder = 'did:key:z6Mk…' }) {
  return html` <div class="field">
    <label for=${id}>${label}</label>
    <input
      id=${id}
      type="text"
      data-testid=${testid}
      value=${value}
      autocomplete="off"
      autocapitalize="off"
      spellcheck=${false}
      placeholder=${placeholder}
      onInput=${(e) => onInput(e.currentTarget.value)}
    />
  </div>`;
}
