import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { claimAccount, isPairingCode, normaliseCode, prettyCode } from '../session.js';
import { Alert, errorText } from '../components/alert.js';
import { CodeField } from '../components/code-field.js';
import { Gate } from './gate.js';

/**
 * The link a node's owner gives someone they host an account for
 * (#account=CODE), opened on that person's own device: this browser makes
 * the key that is their account and pairs it. A browser already paired as
 * one of the owner's devices says so instead, since it has a key of its own.
 */
export function AccountClaim({ code: fromLink, owner = false }) {
  const [code, setCode] = useState(() => (fromLink ? prettyCode(fromLink) : ''));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');

  async function submit(e) {
    e.preventDefault();
    const c = normaliseCode(code);
    if (!isPairingCode(c)) {
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

  return html`<${Gate} screen="account-claim" title="Your own account">
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
              <${CodeField} id="account-code" label="Account code" testid="account-code" value=${code} onInput=${setCode} readonly=${busy} />
              <button type="submit" class="button button--primary button--wide" data-testid="account-claim" disabled=${busy}>
                ${busy ? 'Making your key…' : 'Make my key and join'}
              </button>
            </form>`
    }
  <//>`;
}
