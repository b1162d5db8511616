import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { del, get } from '../../api.js';
import { displayName, shortDid } from '../../format.js';
import { links } from '../../router.js';
import { announce } from '../../state.js';
import { Alert, errorText } from '../../components/alert.js';
import { Avatar } from '../../components/avatar.js';
import { Section, useLoad } from './section.js';

/** Everyone followed, with those of whom nothing was found yet (a mistyped key, a node never reached) marked. */
export function Following() {
  const follows = useLoad(() => get('/api/follows').then((r) => r.following));
  const [error, setError] = useState('');
  async function unfollow(p) {
    setError('');
    try {
      await del(`/api/follows/${encodeURIComponent(p.did)}`);
      announce(`You no longer follow ${displayName(p)}.`);
      follows.setData(follows.data.filter((x) => x.did !== p.did));
    } catch (e) {
      setError(errorText(e));
    }
  }
  const list = follows.data ?? [];
  return html` <${Section} id="following" title="Following">
    <${Alert} message=${follows.error || error} />
    ${follows.data && list.length === 0 && html`<p class="muted">You don't follow anyone yet. Follow people from Home.</p>`}
    ${
      list.length > 0 &&
      html` <ul class="person-list">
          ${list.map(
            (p) =>
              html` <li key=${p.did} class="person-row" data-testid="followed" data-found=${p.found ? 'true' : 'false'}>
                <${Avatar} person=${p} size="sm" />
                <span class="person-row-main">
                  <a href=${links.person(p.did)} class="ellipsis">${displayName(p)}</a>
                  ${!p.found && html`<span class="badge badge--warning" title=${p.did}>Not found yet</span>`}
                  ${p.name && html`<span class="muted small ellipsis">${shortDid(p.did)}</span>`}
                </span>
                <button type="button" class="button button--small" onClick=${() => unfollow(p)} aria-label=${`Unfollow ${displayName(p)}`}>Unfollow</button>
              </li>`,
          )}
        </ul>
        ${
          list.some((p) => !p.found) &&
          html` <p class="muted small">
            “Not found yet”: no node reached so far knows this key. Check it for typing mistakes; if it is right, their posts arrive once their node is online.
          </p>`
        }`
    }
  <//>`;
}
