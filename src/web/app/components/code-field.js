import { html } from 'htm/preact';

/** The input for an 8-character pairing code (ABCD-EFGH), as pairing a device and taking on an account both ask for it. */
export function CodeField({ id, label, testid, value, onInput, readonly }) {
  return html` <div class="field">
    <label for=${id}>${label}</label>
    <input
      id=${id}
      class="code-input"
      type="text"
      data-testid=${testid}
      value=${value}
      placeholder="ABCD-EFGH"
      autocomplete="one-time-code"
      autocapitalize="characters"
      spellcheck=${false}
      maxlength="16"
      required
      onInput=${(e) => onInput(e.currentTarget.value)}
      readonly=${readonly}
    />
  </div>`;
}
