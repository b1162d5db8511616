import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { useEvent, useTitle } from '../hooks.js';
import { go, links } from '../router.js';
import { announce } from '../state.js';
import { Alert, errorText } from '../components/alert.js';
import { KeyInput } from '../components/key-input.js';

const POLICIES = [
  { value: 'open', label: 'Open: anyone who asks is admitted' },
  { value: 'approval', label: 'By approval: a moderator answers each request' },
  { value: 'invitation', label: 'By invitation: a one-time link from a moderator' },
];
const ROLE_LABELS = { owner: 'Owner', member: 'Member', pending: 'Asked to join', host: 'Host' };

function CreateForum() {
  const [name, setName] = useState('');
  const [policy, setPolicy] = useState('open');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    if (!name.trim()) {
      setError('Give the forum a name.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const f = await post('/api/forums', { name: name.trim(), policy });
      announce(`Forum ${f.name} created`);
      go(links.forum(f.forum));
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }
  return html` <section class="card" aria-labelledby="forum-create-h">
    <h2 id="forum-create-h">Start a forum</h2>
    <form class="form" onSubmit=${submit}>
      <div class="field">
        <label for="forum-name">Name</label>
        <input id="forum-name" type="text" data-testid="forum-create-name" value=${name} maxlength="100" onInput=${(e) => setName(e.currentTarget.value)} />
      </div>
      <div class="field">
        <label for="forum-policy">Who may join</label>
        <select id="forum-policy" data-testid="forum-create-policy" value=${policy} onChange=${(e) => setPolicy(e.currentTarget.value)}>
          ${POLICIES.map((p) => html`<option key=${p.value} value=${p.value}>${p.label}</option>`)}
        </select>
      </div>
      <${Alert} message=${error} />
      <div class="form-actions">
        <button type="submit" class="button button--primary" data-testid="forum-create-submit" disabled=${busy}>Create forum</button>
      </div>
    </form>
  </section>`;
}

const openForum = (r) => go(links.forum(r.forum));

/**
 * Join by the forum's key, with an invitation token (an invitation link fills both in).
 * `base` is the routes joined through (a hosted account's are its own); `onJoined` gets the answer.
 */
export function JoinForum({ forum: given = '', token: givenToken = '', via: givenVia = '', base = '/api/forums', onJoined = openForum }) {
  const [forum, setForum] = useState(given);
  const [token, setToken] = useState(givenToken);
  const [via, setVia] = useState(givenVia);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    // A whole invitation link pasted in: it names the forum and carries the token.
    const pasted = token.includes('#/forums/join?') ? new URLSearchParams(token.slice(token.indexOf('?') + 1)) : null;
    const f = (pasted?.get('forum') || forum).trim();
    const t = pasted ? (pasted.get('token') ?? '') : token;
    if (!f) {
      setError('Enter the forum\u2019s key (did:key:…), or paste an invitation link.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const body = {};
      if (t.trim()) body.token = t.trim();
      if (via.trim()) body.via = via.trim();
      const r = await post(`${base}/${encodeURIComponent(f)}/join`, body);
      // Asked, not yet admitted: the forum's screen says so, and opens up when the membership arrives.
      announce(r.status === 'member' ? 'Joined' : 'Your request to join was sent');
      // Where the form stays on screen (a hosted account's), it is ready for the next forum.
      setForum('');
      setToken('');
      setVia('');
      onJoined(r);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  return html` <section class="card" aria-labelledby="forum-join-h">
    <h2 id="forum-join-h">Join a forum</h2>
    <form class="form" onSubmit=${submit}>
      <${KeyInput} id="forum-join-id" label="Forum key" testid="forum-join-id" value=${forum} onInput=${setForum} />
      <div class="field">
        <label for="forum-join-token">Invitation link or token (if you were given one)</label>
        <input
          id="forum-join-token"
          type="text"
          data-testid="forum-join-token"
          value=${token}
          autocomplete="off"
          spellcheck=${false}
          onInput=${(e) => setToken(e.currentTarget.value)}
        />
      </div>
      <${KeyInput}
        id="forum-join-via"
        label="Address of a node that keeps it (optional)"
        testid="forum-join-via"
        value=${via}
        onInput=${setVia}
        placeholder="/ip4/…/p2p/…"
      />
      <${Alert} message=${error} />
      <p class="status-line" role="status" data-testid="forum-join-status">${busy ? 'Finding the forum and asking to join…' : ''}</p>
      <div class="form-actions">
        <button type="submit" class="button button--primary" data-testid="forum-join-submit" disabled=${busy}>Join</button>
      </div>
    </form>
  </section>`;
}

/** Keep and serve a forum on this node by its key (a host acts in no one's name there). */
function HostForum() {
  const [forum, setForum] = useState('');
  const [via, setVia] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    if (!forum.trim()) {
      setError('Enter the forum\u2019s key (did:key:…).');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const r = await post(`/api/forums/${encodeURIComponent(forum.trim())}/host`, via.trim() ? { via: via.trim() } : {});
      announce(`Hosting ${r.name}`);
      go(links.forum(r.forum));
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }
  return html` <section class="card" aria-labelledby="forum-host-h">
    <h2 id="forum-host-h">Host a forum</h2>
    <p class="muted">Your node keeps a copy of the forum and serves it to its members. You can read it, but hosting lets you act in no one’s name there.</p>
    <form class="form" onSubmit=${submit}>
      <${KeyInput} id="forum-host-id" label="Forum key" testid="forum-host-id" value=${forum} onInput=${setForum} />
      <${KeyInput}
        id="forum-host-via"
        label="Address of a node that keeps it (optional)"
        testid="forum-host-via"
        value=${via}
        onInput=${setVia}
        placeholder="/ip4/…/p2p/…"
      />
      <${Alert} message=${error} />
      <p class="status-line" role="status">${busy ? 'Finding the forum…' : ''}</p>
      <div class="form-actions">
        <button type="submit" class="button" data-testid="forum-host-submit" disabled=${busy}>Host</button>
      </div>
    </form>
  </section>`;
}

/** Forums this person owns, belongs to or hosts; start one; join one; host one. */
export function Forums({ join }) {
  useTitle('Forums');
  const [forums, setForums] = useState(null);
  const [error, setError] = useState('');
  const load = () =>
    get('/api/forums').then(
      (r) => setForums(r.forums),
      (e) => setError(errorText(e)),
    );
  useEffect(() => {
    load();
  }, []);
  useEvent('forum', load);
  return html` <div class="screen" data-screen="forums">
    <h1 tabindex="-1">Forums</h1>
    <${Alert} message=${error} />
    ${!forums && !error && html`<p class="muted loading" role="status">Loading…</p>`}
    ${forums && forums.length === 0 && html`<p class="empty">You are in no forum yet. Start one, or join one with its key.</p>`}
    ${
      forums &&
      forums.length > 0 &&
      html` <ul class="person-list" data-testid="forum-list">
        ${forums.map(
          (f) =>
            html` <li key=${f.forum} class="person-row" data-testid="forum-item">
              <a class="person-row-link" href=${links.forum(f.forum)} data-testid="forum-link">
                <span class="person-row-main"><strong>${f.name}</strong> <span class="badge">${ROLE_LABELS[f.role] ?? f.role}</span></span>
              </a>
            </li>`,
        )}
      </ul>`
    }
    <${JoinForum} ...${join ?? {}} />
    <${CreateForum} />
    <${HostForum} />
  </div>`;
}
