import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { useTitle } from '../hooks.js';
import { claimAccount, normaliseCode, prettyCode, CODE_ALPHABET } from '../session.js';
import { Alert, errorText } from '../components/alert.js';

/**
 * The link a node's owner gives someone they host an account for
 * (#account=CODE), opened on that person's own device: this browser makes
 * the key that is their account and pairs it. A browser already paired as
 * one of the owner's devices says so instead, since it has a key of its own.
 */
export function AccountClaim({ code: fromLink, owner = false }) {
  useTitle('Your account');
  const [code, setCode] = useState(() => (fromLink ? prettyCode(fromLink) : ''));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function submit(e) {
    e.preventDefault();
    const c = normaliseCode(code);
    if (c.length !== 8 || [...c].some((ch) => !CODE_ALPHABET.includes(ch))) {
      setError('Enter the 8-character code the node’s owner gave you, like ABCD-EFGH.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await claimAccount(c);
      location.replace('#/');
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }

  return html` <main id="main" class="gate" tabindex="-1">
    <div class="screen card gate-card" data-screen="account-claim">
      <img class="gate-logo" src="/icon.svg" alt="" width="56" height="56" />
      <h1>Your own account</h1>
      ${
        owner
          ? html`<${Alert}
                message="This browser is already paired as a device of this node’s owner. Open the link on the device of the person the account is for."
              />
              <p><a class="button" href="#/">Back to Kith</a></p>`
          : html`<${Alert} message=${error} />
              <p>
                Someone who runs a Kith node offers to carry an account for you. This browser makes a key that <strong>is</strong> your account: it stays here,
                and you can take it to another node one day.
              </p>
              <p class="muted">The node then posts for you with a key of its own, which you allow for 30 days at a time and can stop whenever you like.</p>
              <form class="form" onSubmit=${submit}>
                <div class="field">
                  <label for="account-code">Account code</label>
                  <input
                    id="account-code"
                    class="code-input"
                    type="text"
                    data-testid="account-code"
                    value=${code}
                    placeholder="ABCD-EFGH"
                    autocomplete="one-time-code"
                    autocapitalize="characters"
                    spellcheck=${false}
                    maxlength="16"
                    required
                    onInput=${(e) => setCode(e.currentTarget.value)}
                    readonly=${busy}
                  />
                </div>
                <button type="submit" class="button button--primary button--wide" data-testid="account-claim" disabled=${busy}>
                  ${busy ? 'Making your key…' : 'Make my key and join'}
                </button>
              </form>`
      }
    </div>
  </main>`;
}
