import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { del, get } from '../../api.js';
import { displayName, shortDid } from '../../format.js';
import { links } from '../../router.js';
import { announce } from '../../state.js';
import { Alert, errorText } from '../../components/alert.js';
import { Avatar } from '../../components/avatar.js';
import { Section, useLoad } from './section.js';

/** How each follow stands with the followee, as a badge: asked and not yet answered, or rejected (the follow ended). */
const STATES = {
  requested: { label: 'Requested', title: 'They have not accepted your follow yet' },
  rejected: { label: 'Rejected', title: 'They rejected your follow, or removed you: their posts are no longer kept here' },
};

/** Everyone followed, with those of whom nothing was found yet (a mistyped key, a node never reached) marked, and each follow's state. */
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
              html` <li key=${p.did} class="person-row" data-testid="followed" data-found=${p.found ? 'true' : 'false'} data-state=${p.followState}>
                <${Avatar} person=${p} size="sm" />
                <span class="person-row-main">
                  <a href=${links.person(p.did)} class="ellipsis">${displayName(p)}</a>
                  ${
                    STATES[p.followState] &&
                    html`<span class="badge" data-testid="follow-state" title=${STATES[p.followState].title}>${STATES[p.followState].label}</span>`
                  }
                  ${p.followState !== 'rejected' && !p.found && html`<span class="badge badge--warning" title=${p.did}>Not found yet</span>`}
                  ${p.name && html`<span class="muted small ellipsis">${shortDid(p.did)}</span>`}
                </span>
                <button
                  type="button"
                  class="button button--small"
                  data-testid="followed-unfollow"
                  onClick=${() => unfollow(p)}
                  aria-label=${p.followState === 'rejected' ? `Forget ${displayName(p)}'s rejection` : `Unfollow ${displayName(p)}`}
                >
                  ${p.followState === 'rejected' ? 'Forget' : 'Unfollow'}
                </button>
              </li>`,
          )}
        </ul>
        ${
          list.some((p) => !p.found && p.followState !== 'rejected') &&
          html` <p class="muted small">
            “Not found yet”: no node reached so far knows this key. Check it for typing mistakes; if it is right, their posts arrive once their node is online.
          </p>`
        }`
    }
  <//>`;
}
