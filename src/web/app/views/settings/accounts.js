import { html } from 'htm/preact';
import { useRef, useState } from 'preact/hooks';
import { del, get, post } from '../../api.js';
import { mediumTime, shortDid } from '../../format.js';
import { announce } from '../../state.js';
import { Alert, errorText } from '../../components/alert.js';
import { PairingPanel } from './devices.js';
import { Section, useArrival, useLoad } from './section.js';

/**
 * Settings → Accounts you host: accounts this node carries for other
 * people (README, "Hosting accounts for others"). The owner names one and
 * gets a code; the person opens its link on their own device, which makes
 * the key that is the account.
 */
export function Accounts() {
  const accounts = useLoad(() => get('/api/accounts').then((r) => r.accounts));
  const [name, setName] = useState('');
  const [offer, setOffer] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const nameInput = useRef(null);
  const active = (accounts.data ?? []).filter((a) => !a.removed);

  useArrival(
    offer,
    active,
    (a) => a.did,
    accounts.reload,
    (added) => {
      setOffer(null);
      announce(`${added.name}'s account is ready.`);
    },
  );

  async function add(e) {
    e.preventDefault();
    const n = name.trim();
    if (!n) {
      setError('Give the account a name, like “Grandma”.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      setOffer(await post('/api/accounts', { name: n }));
      setName('');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  async function remove(a) {
    if (!confirm(`Stop hosting ${a.name}? Your node stops vouching and posting for them, and their device is refused. They keep their key.`)) return;
    setError('');
    try {
      await del(`/api/accounts/${encodeURIComponent(a.did)}`);
      announce(`${a.name} is no longer hosted here.`);
      accounts.reload();
    } catch (err) {
      setError(errorText(err));
    }
  }

  function closeOffer() {
    setOffer(null);
    requestAnimationFrame(() => nameInput.current?.focus());
  }

  return html` <${Section} id="accounts" title="Accounts you host">
    <p class="muted">
      Your node can carry accounts for other people, such as someone sharing this phone or a friend without a node. Each has a key of its own, made on their own
      device; your node posts for them only while they allow it.
    </p>
    <${Alert} message=${accounts.error || error} />
    ${!accounts.data && !accounts.error && html`<p class="muted">Loading…</p>`}
    ${accounts.data && active.length === 0 && html`<p class="muted" data-testid="accounts-empty">You host no accounts.</p>`}
    <ul class="device-list">
      ${active.map(
        (a) =>
          html` <li key=${a.did} class="device" data-testid="hosted-account" data-did=${a.did}>
            <div class="device-main">
              <p class="device-name"><strong>${a.name}</strong></p>
              <dl class="meta">
                <div>
                  <dt>Key</dt>
                  <dd><code title=${a.did}>${shortDid(a.did)}</code></dd>
                </div>
                <div>
                  <dt>May post until</dt>
                  <dd data-testid="hosted-account-until">${mediumTime(a.publishExpires)}${a.renew ? ' (their device should renew)' : ''}</dd>
                </div>
              </dl>
            </div>
            <button
              type="button"
              class="button button--danger button--small"
              data-testid="hosted-account-remove"
              aria-label=${`Stop hosting ${a.name}`}
              onClick=${() => remove(a)}
            >
              Remove
            </button>
          </li>`,
      )}
    </ul>
    ${
      offer
        ? html`<${PairingPanel}
            pairing=${offer}
            onClose=${closeOffer}
            testid="account-offer"
            intro="Give this to the person: on their own phone or computer they open the link, or scan the QR code, and their browser makes their key."
            expired="This code has expired. Add the account again for a new one."
          />`
        : html`<form class="inline-form" onSubmit=${add}>
            <label for="account-name">Add an account for someone</label>
            <div class="row">
              <input
                id="account-name"
                ref=${nameInput}
                type="text"
                data-testid="account-add-name"
                value=${name}
                maxlength="64"
                autocomplete="off"
                placeholder="Their name, like Grandma"
                onInput=${(e) => setName(e.currentTarget.value)}
                readonly=${busy}
              />
              <button type="submit" class="button button--primary" data-testid="account-add" disabled=${busy}>${busy ? 'Making a code…' : 'Add'}</button>
            </div>
          </form>`
    }
  <//>`;
}
