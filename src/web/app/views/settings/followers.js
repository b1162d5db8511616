import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { del, get, post } from '../../api.js';
import { displayName, shortDid } from '../../format.js';
import { links } from '../../router.js';
import { announce } from '../../state.js';
import { Alert, errorText } from '../../components/alert.js';
import { Avatar } from '../../components/avatar.js';
import { Section, useLoad } from './section.js';

/** One person in a list, with the buttons that answer them. */
function PersonRow({ testid, person, children }) {
  return html` <li class="person-row" data-testid=${testid} data-did=${person.did}>
    <${Avatar} person=${person} size="sm" />
    <span class="person-row-main">
      <a href=${links.person(person.did)} class="ellipsis">${displayName(person)}</a>
      ${person.name && html`<span class="muted small ellipsis">${shortDid(person.did)}</span>`}
    </span>
    ${children}
  </li>`;
}

/**
 * Who follows the owner, and who asks to: requests wait here while the
 * account is locked (Preferences), to be approved or rejected; a follower
 * removed is told, and their node stops following.
 */
export function Followers() {
  const requests = useLoad(() => get('/api/follow-requests'));
  const followers = useLoad(() => get('/api/followers').then((r) => r.followers));
  const [error, setError] = useState('');
  const [busy, setBusy] = useState('');

  async function act(did, call, done) {
    setError('');
    setBusy(did);
    try {
      const r = await call();
      announce(done(r.person));
      await Promise.all([requests.reload(), followers.reload()]);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
    }
  }
  const path = (did, what) => `/api/follow-requests/${encodeURIComponent(did)}/${what}`;
  const approve = (p) =>
    act(
      p.did,
      () => post(path(p.did, 'approve')),
      (who) => `${displayName(who)} now follows you.`,
    );
  const reject = (p) =>
    act(
      p.did,
      () => post(path(p.did, 'reject')),
      (who) => `You rejected ${displayName(who)}'s request.`,
    );
  const remove = (p) =>
    act(
      p.did,
      () => del(`/api/followers/${encodeURIComponent(p.did)}`),
      (who) => `${displayName(who)} no longer follows you.`,
    );

  const waiting = requests.data?.requests ?? [];
  const list = followers.data ?? [];
  return html` <${Section} id="followers" title="Followers">
    <${Alert} message=${requests.error || followers.error || error} />
    ${
      requests.data &&
      html` <h3 class="small">Requests</h3>
        ${
          waiting.length === 0
            ? html`<p class="muted" data-testid="follow-requests-empty">
                ${requests.data.locked ? 'No requests wait for you.' : 'Your account is not locked: everyone who asks to follow you is accepted at once.'}
              </p>`
            : html` <ul class="person-list" data-testid="follow-requests">
                ${waiting.map(
                  ({ person: p }) =>
                    html` <${PersonRow} key=${p.did} testid="follow-request" person=${p}>
                      <button
                        type="button"
                        class="button button--small button--primary"
                        data-testid="follow-request-approve"
                        disabled=${busy === p.did}
                        onClick=${() => approve(p)}
                        aria-label=${`Approve ${displayName(p)}`}
                      >
                        Approve
                      </button>
                      <button
                        type="button"
                        class="button button--small"
                        data-testid="follow-request-reject"
                        disabled=${busy === p.did}
                        onClick=${() => reject(p)}
                        aria-label=${`Reject ${displayName(p)}`}
                      >
                        Reject
                      </button>
                    <//>`,
                )}
              </ul>`
        }`
    }
    ${
      followers.data &&
      html` <h3 class="small">People who follow you</h3>
        ${
          list.length === 0
            ? html`<p class="muted" data-testid="followers-empty">Nobody follows you yet.</p>`
            : html` <ul class="person-list" data-testid="followers">
                ${list.map(
                  ({ person: p }) =>
                    html` <${PersonRow} key=${p.did} testid="follower" person=${p}>
                      <button
                        type="button"
                        class="button button--small"
                        data-testid="follower-remove"
                        disabled=${busy === p.did}
                        onClick=${() => remove(p)}
                        aria-label=${`Remove ${displayName(p)} from your followers`}
                      >
                        Remove
                      </button>
                    <//>`,
                )}
              </ul>`
        }`
    }
  <//>`;
}
