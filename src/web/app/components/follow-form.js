import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { displayName, plural } from '../format.js';
import { links } from '../router.js';
import { Alert, errorText } from './alert.js';

let counter = 0;

/** "Follow someone" by did:key, ap:// actor id or multiaddr. onFollowed({person, added, received}). */
export function FollowForm({ onFollowed }) {
  const [id] = useState(() => `follow-${++counter}`);
  const [target, setTarget] = useState('');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);
  const [error, setError] = useState('');

  async function submit(e) {
    e.preventDefault();
    const t = target.trim();
    if (!t) {
      setError('Enter a key (did:key:…), an ap:// id or an address.');
      return;
    }
    setBusy(true);
    setError('');
    setResult(null);
    try {
      const res = await post('/api/follows', { target: t });
      setResult(res);
      setTarget('');
      onFollowed?.(res);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const who = result && displayName(result.person);
  return html` <section class="card follow-card" aria-labelledby=${`${id}-h`}>
    <h2 id=${`${id}-h`}>Follow someone</h2>
    <form class="inline-form" onSubmit=${submit}>
      <label for=${id}>Follow by key, ap:// id or address</label>
      <div class="row">
        <input
          id=${id}
          type="text"
          data-testid="follow-target"
          value=${target}
          autocomplete="off"
          autocapitalize="off"
          spellcheck=${false}
          placeholder="did:key:z6Mk…"
          onInput=${(e) => setTarget(e.currentTarget.value)}
          readonly=${busy}
        />
        <button type="submit" class="button button--primary" data-testid="follow-submit" disabled=${busy}>Follow</button>
      </div>
    </form>
    <p class="status-line" role="status" data-testid="follow-status">
      ${busy && html`<span class="spinner" aria-hidden="true"></span> Finding and syncing…`}
      ${
        !busy &&
        result &&
        html` ${result.added ? 'You now follow ' : 'You already follow '}
          <a href=${links.person(result.person.did)}>${who}</a>. ${result.received > 0 ? ` Received ${plural(result.received, 'item')}.` : ''}`
      }
      ${
        !busy &&
        result &&
        result.person.found === false &&
        html` <span class="not-found" data-testid="follow-not-found">
          Nothing of theirs was found yet: no node that was reached knows this key. Check it for typing mistakes; if it is right, their posts arrive once their
          node or someone holding them is online.
        </span>`
      }
    </p>
    <${Alert} message=${error} />
  </section>`;
}
