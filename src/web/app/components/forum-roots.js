import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { post, put } from '../api.js';
import { announce } from '../state.js';
import { Alert, errorText } from './alert.js';
import { short } from './forum-moderation.js';
import { KeyInput } from './key-input.js';

const DID = /^did:key:z[1-9A-HJ-NP-Za-km-z]+$/;

/**
 * Node roots in a forum: the roots it blocks (every account a root vouches
 * for is refused; moderators block and unblock) and the roots whose
 * accounts alone it admits (the owner sets it; self-rooted people stay
 * admitted either way). Each change is a signed act in the log.
 */
export function ForumRoots({ forum, roots, role, reload }) {
  const [root, setRoot] = useState('');
  const [only, setOnly] = useState((roots.only ?? []).join('\n'));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const path = `/api/forums/${encodeURIComponent(forum)}`;
  const owner = role === 'owner';
  async function run(send, done) {
    setBusy(true);
    setError('');
    try {
      await send();
      announce(done);
      reload();
      return true;
    } catch (e) {
      setError(errorText(e));
      return false;
    } finally {
      setBusy(false);
    }
  }
  async function block(e) {
    e.preventDefault();
    const did = root.trim();
    if (!DID.test(did)) {
      setError('Enter the node root’s key (did:key:z6Mk…).');
      return;
    }
    if (await run(() => post(`${path}/block-root`, { did }), 'Node root blocked')) setRoot('');
  }
  function admit(e) {
    e.preventDefault();
    const list = only.split(/[\s,]+/).filter(Boolean);
    const bad = list.find((d) => !DID.test(d));
    if (bad) {
      setError(`“${short(bad)}” is not a node root’s key (did:key:z6Mk…).`);
      return;
    }
    run(() => put(`${path}/roots`, { only: list }), list.length === 0 ? 'Accounts under any node root are admitted' : 'Admitted roots saved');
  }
  return html` <section class="card" aria-labelledby="forum-roots-h" data-testid="forum-roots">
    <h2 id="forum-roots-h">Node roots</h2>
    <p class="muted">
      A node root vouches for the accounts its node hosts. Blocking one refuses all of them here; people with keys of their own are never affected.
    </p>
    <${Alert} message=${error} />
    <h3>Blocked</h3>
    ${roots.blocked.length === 0 && html`<p class="empty">No node root is blocked.</p>`}
    <ul class="forum-roots-list">
      ${roots.blocked.map(
        (d) =>
          html` <li key=${d} data-testid="forum-root-blocked" data-did=${d}>
            <span class="did" title=${d}>${short(d)}</span>
            <button
              type="button"
              class="button button--small"
              data-testid="forum-root-unblock"
              disabled=${busy}
              onClick=${() => run(() => post(`${path}/unblock-root`, { did: d }), 'Node root unblocked')}
            >
              Unblock
            </button>
          </li>`,
      )}
    </ul>
    <form class="form" onSubmit=${block} aria-label="Block a node root">
      <${KeyInput} id="forum-root-did" label="Block a node root" testid="forum-root-did" value=${root} onInput=${setRoot} />
      <div class="form-actions">
        <button type="submit" class="button button--danger" data-testid="forum-root-block" disabled=${busy}>Block root</button>
      </div>
    </form>
    <h3>Admitted</h3>
    <div data-testid="forum-roots-only">
      ${
        roots.only === null
          ? 'Accounts under any node root are admitted.'
          : html`Only accounts under these node roots are admitted:
              <ul class="forum-roots-list">
                ${roots.only.map((d) => html`<li key=${d} data-testid="forum-root-admitted"><span class="did" title=${d}>${short(d)}</span></li>`)}
              </ul>`
      }
    </div>
    ${
      owner &&
      html` <form class="form" onSubmit=${admit} aria-label="Admit only these node roots">
        <div class="field">
          <label for="forum-roots-only">Admit only accounts under these node roots (one key a line; empty admits any)</label>
          <textarea
            id="forum-roots-only"
            data-testid="forum-roots-only-input"
            rows="3"
            value=${only}
            onInput=${(e) => setOnly(e.currentTarget.value)}
          ></textarea>
        </div>
        <div class="form-actions">
          <button type="submit" class="button" data-testid="forum-roots-save" disabled=${busy}>Save admitted roots</button>
        </div>
      </form>`
    }
  </section>`;
}
