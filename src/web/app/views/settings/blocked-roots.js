import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { del, get, post } from '../../api.js';
import { announce } from '../../state.js';
import { Alert, errorText } from '../../components/alert.js';
import { KeyInput } from '../../components/key-input.js';
import { Section, useLoad } from './section.js';

const short = (did) => (did.length > 24 ? `${did.slice(0, 14)}…${did.slice(-6)}` : did);
const accountsText = (n) => (n === 1 ? '1 account known' : `${n} accounts known`);

/**
 * Node roots the owner blocked: every account a blocked root vouches for is
 * left out of reading (timeline, notifications, threads, search) and comes
 * back at once on unblocking. The root person themself is not blocked.
 */
export function BlockedRoots() {
  const roots = useLoad(() => get('/api/blocked-roots').then((r) => r.roots));
  const [error, setError] = useState('');
  const [did, setDid] = useState('');
  const [busy, setBusy] = useState(false);
  async function unblock(d) {
    setError('');
    try {
      await del(`/api/blocked-roots/${encodeURIComponent(d)}`);
      announce('Node root unblocked; its accounts show again.');
      roots.reload();
    } catch (e) {
      setError(errorText(e));
    }
  }
  async function block(e) {
    e.preventDefault();
    if (!did.trim()) {
      setError('Enter the node root’s key (did:key:z6Mk…).');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await post('/api/blocked-roots', { did: did.trim() });
      announce('Node root blocked; its accounts are hidden.');
      setDid('');
      roots.reload();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  const list = roots.data ?? [];
  return html` <${Section} id="blocked-roots" title="Blocked node roots">
    <p class="muted">
      A node root vouches for the accounts its node hosts. Blocking one hides all of them from you; the root’s own person and people with keys of their own are
      not affected.
    </p>
    <${Alert} message=${roots.error || error} />
    ${roots.data && list.length === 0 && html`<p class="muted" data-testid="blocked-roots-empty">You haven’t blocked any node root.</p>`}
    ${
      list.length > 0 &&
      html` <ul class="person-list" data-testid="blocked-roots">
        ${list.map(
          (r) =>
            html` <li key=${r.did} class="person-row" data-testid="blocked-root" data-did=${r.did}>
              <span class="person-row-main">
                <span class="did" title=${r.did}>${short(r.did)}</span>
                <span class="muted small">${accountsText(r.accounts)}</span>
              </span>
              <button
                type="button"
                class="button button--small"
                data-testid="blocked-root-unblock"
                onClick=${() => unblock(r.did)}
                aria-label=${`Unblock node root ${short(r.did)}`}
              >
                Unblock
              </button>
            </li>`,
        )}
      </ul>`
    }
    <form class="form" onSubmit=${block} aria-label="Block a node root">
      <${KeyInput} id="blocked-root-did" label="Block a node root by its key" testid="blocked-root-did" value=${did} onInput=${setDid} />
      <div class="form-actions">
        <button type="submit" class="button button--danger" data-testid="blocked-root-block" disabled=${busy}>Block root</button>
      </div>
    </form>
  <//>`;
}

/** On a hosted person's profile: block (or unblock) the node root that vouches for them, muting every account it hosts. */
export function RootBlockButton({ root }) {
  const [blocked, setBlocked] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  useEffect(() => {
    get('/api/blocked-roots').then(
      (r) => setBlocked(r.roots.some((b) => b.did === root)),
      (e) => setError(errorText(e)),
    );
  }, [root]);
  async function toggle() {
    if (!blocked && !confirm('Block this person’s node root? Every account it hosts is hidden from you, this person included.')) return;
    setBusy(true);
    setError('');
    try {
      if (blocked) await del(`/api/blocked-roots/${encodeURIComponent(root)}`);
      else await post('/api/blocked-roots', { did: root });
      announce(blocked ? 'Their node root is unblocked.' : 'Their node root is blocked.');
      setBlocked(!blocked);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  if (blocked === null) return html`<${Alert} message=${error} />`;
  return html` <span class="root-block">
    <button
      type="button"
      class=${blocked ? 'button' : 'button button--danger'}
      data-testid="profile-root-block"
      data-blocked=${String(blocked)}
      title=${`Their account is hosted under the node root ${root}`}
      onClick=${toggle}
      disabled=${busy}
    >
      ${blocked ? 'Unblock their node root' : 'Block this person’s node root'}
    </button>
    <${Alert} message=${error} />
  </span>`;
}
