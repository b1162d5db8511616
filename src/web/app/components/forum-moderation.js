import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { announce } from '../state.js';
import { Alert, errorText } from './alert.js';
import { Time } from './time.js';

const ROLE_LABELS = { owner: 'Owner', 'co-owner': 'Co-owner', moderator: 'Moderator', member: 'Member' };
const ACT_LABELS = {
  admit: 'admitted',
  reject: 'turned down',
  ban: 'banned',
  unban: 'lifted the ban on',
  hide: 'hid post',
  'moderator-add': 'made moderator',
  'moderator-remove': 'removed as moderator',
  'root-block': 'blocked node root',
  'root-unblock': 'unblocked node root',
  roots: 'set the admitted node roots',
};

/** Runs a moderation act (ban, unban, hide, approve, reject, moderators) on the forum; `then` reloads the screen. */
export function useAct(forum, then) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function act(what, body, done) {
    setBusy(true);
    setError('');
    try {
      await post(`/api/forums/${encodeURIComponent(forum)}/${what}`, body);
      announce(done);
      then();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return { act, error, busy };
}

export const short = (did) => (did.length > 24 ? `${did.slice(0, 14)}…${did.slice(-6)}` : did);

/** A small menu of acts on a post or a person (a disclosure, so it works with the keyboard); it closes once one is chosen. */
export function ActMenu({ label, testid, children }) {
  return html` <details class="forum-menu" data-testid=${testid}>
    <summary class="button button--quiet button--small" aria-label=${label}>⋯</summary>
    <div class="forum-menu-acts" onClick=${(e) => e.target.closest('button') && (e.currentTarget.parentElement.open = false)}>${children}</div>
  </details>`;
}

export function Members({ forum, members, me, canModerate, isOwner, reload }) {
  const { act, error, busy } = useAct(forum, reload);
  return html` <section class="card" aria-labelledby="forum-members-h" data-testid="forum-members">
    <h2 id="forum-members-h">Members (${members.length})</h2>
    <${Alert} message=${error} />
    <ul class="person-list">
      ${members.map(
        (m) =>
          html` <li key=${m.did} class="person-row" data-testid="forum-member" data-did=${m.did} data-role=${m.role} data-banned=${String(m.banned)}>
            <span class="person-row-main">
              <span class="did" title=${m.did}>${m.did === me ? 'You' : short(m.did)}</span>
              <span class="badge" data-testid="forum-member-role">${ROLE_LABELS[m.role] ?? m.role}</span>
              ${m.banned && html`<span class="badge badge--warning" data-testid="forum-member-banned">Banned</span>`}
            </span>
            ${
              canModerate &&
              m.did !== me &&
              m.role !== 'owner' &&
              html` <${ActMenu} label=${`Moderate ${short(m.did)}`} testid="forum-member-menu">
                ${
                  m.banned
                    ? html`<button
                        type="button"
                        class="button button--small"
                        data-testid="forum-member-unban"
                        disabled=${busy}
                        onClick=${() => act('unban', { did: m.did }, 'Ban lifted')}
                      >
                        Unban
                      </button>`
                    : html`<button
                        type="button"
                        class="button button--danger button--small"
                        data-testid="forum-member-ban"
                        disabled=${busy}
                        onClick=${() => act('ban', { did: m.did }, 'Member banned')}
                      >
                        Ban
                      </button>`
                }
                ${
                  isOwner &&
                  !m.banned &&
                  (m.role === 'moderator'
                    ? html`<button
                        type="button"
                        class="button button--small"
                        data-testid="forum-moderator-remove"
                        disabled=${busy}
                        onClick=${() => act('moderators/remove', { did: m.did }, 'No longer a moderator')}
                      >
                        Remove as moderator
                      </button>`
                    : m.role === 'member' &&
                      html`<button
                        type="button"
                        class="button button--small"
                        data-testid="forum-moderator-add"
                        disabled=${busy}
                        onClick=${() => act('moderators', { did: m.did }, 'Made a moderator')}
                      >
                        Make moderator
                      </button>`)
                }
              <//>`
            }
          </li>`,
      )}
    </ul>
  </section>`;
}

/** Join requests waiting for a moderator. */
export function Queue({ forum, requests, reload }) {
  const { act, error, busy } = useAct(forum, reload);
  return html` <section class="card" aria-labelledby="forum-queue-h" data-testid="forum-queue">
    <h2 id="forum-queue-h">Waiting to join (${requests.length})</h2>
    <${Alert} message=${error} />
    ${requests.length === 0 && html`<p class="empty">No requests waiting.</p>`}
    <ul class="person-list">
      ${requests.map(
        (r) =>
          html` <li key=${r.did} class="person-row" data-testid="forum-request">
            <span class="person-row-main"><span class="did" title=${r.did}>${short(r.did)}</span> <${Time} iso=${r.requested} /></span>
            <span class="row">
              <button
                type="button"
                class="button button--primary button--small"
                data-testid="forum-approve"
                disabled=${busy}
                onClick=${() => act('approve', { did: r.did }, 'Admitted')}
              >
                Approve
              </button>
              <button
                type="button"
                class="button button--small"
                data-testid="forum-reject"
                disabled=${busy}
                onClick=${() => act('reject', { did: r.did }, 'Request turned down')}
              >
                Reject
              </button>
            </span>
          </li>`,
      )}
    </ul>
  </section>`;
}

/** An invitation link the owner copies and sends: it opens the join form filled in. */
export function Invite({ forum }) {
  const [link, setLink] = useState('');
  const [error, setError] = useState('');
  const [copied, setCopied] = useState(false);
  async function make() {
    setError('');
    setCopied(false);
    try {
      const r = await post(`/api/forums/${encodeURIComponent(forum)}/invite`, {});
      setLink(`${location.origin}/#/forums/join?forum=${encodeURIComponent(forum)}&token=${encodeURIComponent(r.token)}`);
    } catch (e) {
      setError(errorText(e));
    }
  }
  async function copy() {
    try {
      await navigator.clipboard.writeText(link);
      setCopied(true);
    } catch (e) {
      setError(`Copying was refused (${errorText(e)}); select the link and copy it.`);
    }
  }
  return html` <section class="card" aria-labelledby="forum-invite-h">
    <h2 id="forum-invite-h">Invite someone</h2>
    <p class="muted">An invitation works once. Send the link to the person you invite; it opens their Kith with the forum filled in.</p>
    <${Alert} message=${error} />
    <div class="row">
      <button type="button" class="button" data-testid="forum-invite" onClick=${make}>New invitation link</button>
      ${link && html`<button type="button" class="button button--quiet" data-testid="forum-invite-copy" onClick=${copy}>${copied ? 'Copied' : 'Copy'}</button>`}
    </div>
    ${link && html`<input type="text" class="code-input" readonly aria-label="Invitation link" data-testid="forum-invite-link" value=${link} onFocus=${(e) => e.currentTarget.select()} />`}
  </section>`;
}

/** The moderation log: every act, signed, for every member to read. */
export function Log({ acts }) {
  return html` <section class="card" aria-labelledby="forum-log-h" data-testid="forum-log">
    <h2 id="forum-log-h">Moderation log</h2>
    ${acts.length === 0 && html`<p class="empty">Nothing yet.</p>`}
    <ul class="person-list">
      ${acts.map(
        (a) =>
          html` <li key=${a.id} class="person-row" data-testid="forum-log-entry" data-kind=${a.kind}>
            <span class="person-row-main">
              <span class="did" title=${a.by}>${short(a.by)}</span> ${ACT_LABELS[a.kind] ?? a.kind} <span class="did" title=${a.about}>${short(a.about)}</span>
              <${Time} iso=${a.published} />
            </span>
          </li>`,
      )}
    </ul>
  </section>`;
}
