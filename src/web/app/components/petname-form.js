import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { del, put } from '../api.js';
import { announce } from '../state.js';
import { Alert, errorText } from './alert.js';

/** The most characters a petname has (the node's limit). */
const MAX_PETNAME = 64;

/** Your own name for someone: shown instead of their key and before the name they chose. onSaved(person). */
export function PetnameForm({ person, onSaved }) {
  const [name, setName] = useState(person.petname ?? '');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function save(e, remove = false) {
    e.preventDefault();
    setBusy(true);
    setError('');
    const path = `/api/petnames/${encodeURIComponent(person.did)}`;
    try {
      const res = remove || !name.trim() ? await del(path) : await put(path, { name: name.trim() });
      if (remove || !name.trim()) setName('');
      announce(res.person.petname ? `Saved: you call them ${res.person.petname}.` : 'Your name for them is removed.');
      onSaved?.(res.person);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return html` <form class="petname-form" onSubmit=${save} data-testid="petname-form">
    <label for="petname-input">Your name for them</label>
    <p class="muted field-hint" id="petname-hint">Only you see it. It is shown instead of their key and before the name they chose.</p>
    <div class="row">
      <input
        id="petname-input"
        type="text"
        maxlength=${MAX_PETNAME}
        autocomplete="off"
        aria-describedby="petname-hint"
        data-testid="petname-input"
        value=${name}
        onInput=${(e) => setName(e.currentTarget.value)}
      />
      <button type="submit" class="button" data-testid="petname-save" disabled=${busy}>${busy ? 'Saving…' : 'Save name'}</button>
      ${
        person.petname &&
        html`<button type="button" class="button button--quiet" data-testid="petname-remove" disabled=${busy} onClick=${(e) => save(e, true)}>Remove</button>`
      }
    </div>
    <${Alert} message=${error} />
  </form>`;
}
