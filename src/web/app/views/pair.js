import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { deviceNameGuess } from '../format.js';
import { useStore, useTitle } from '../hooks.js';
import { auth } from '../state.js';
import { focusHeadingSoon } from '../router.js';
import { isPairingCode, normaliseCode, pairDevice, prettyCode } from '../session.js';
import { Alert, errorText } from '../components/alert.js';
import { CodeField } from '../components/code-field.js';

export function Pair({ code: fromLink }) {
  useTitle('Pair this device');
  const { notice } = useStore(auth);
  const [code, setCode] = useState(() => (fromLink ? prettyCode(fromLink) : ''));
  const [name, setName] = useState(deviceNameGuess);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function submit(e) {
    e.preventDefault();
    const c = normaliseCode(code);
    if (!isPairingCode(c)) {
      setError('Enter the 8-character code shown on your node or other device, like ABCD-EFGH.');
      return;
    }
    if (!name.trim()) {
      setError('Give this device a name, so you can tell it apart in Settings.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await pairDevice(c, name.trim().slice(0, 64));
      location.replace('#/');
      focusHeadingSoon();
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  return html` <main id="main" class="gate" tabindex="-1">
    <div class="screen card gate-card" data-screen="pair">
      <img class="gate-logo" src="/icon.svg" alt="" width="56" height="56" />
      <h1>Pair this device</h1>
      <${Alert} message=${error || notice} kind=${error ? 'error' : 'notice'} />
      <p>Run <code>kith pair</code> on your home node, or press “Pair a device” in Settings on a device already paired, and enter the code shown.</p>
      <form class="form" onSubmit=${submit}>
        <${CodeField} id="pair-code" label="Pairing code" testid="pair-code" value=${code} onInput=${setCode} readonly=${busy} />
        <div class="field">
          <label for="pair-name">Device name</label>
          <input
            id="pair-name"
            type="text"
            data-testid="pair-name"
            value=${name}
            maxlength="64"
            required
            autocomplete="off"
            onInput=${(e) => setName(e.currentTarget.value)}
            readonly=${busy}
          />
        </div>
        <button type="submit" class="button button--primary button--wide" data-testid="pair-submit" disabled=${busy}>
          ${busy ? 'Pairing…' : 'Pair this device'}
        </button>
      </form>
    </div>
  </main>`;
}
