import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { del, get, post } from '../api.js';
import { useEvent, useStore, useTitle } from '../hooks.js';
import { go, links } from '../router.js';
import { announce, auth, dmUnread } from '../state.js';
import { displayName, plural } from '../format.js';
import { Alert, errorText } from '../components/alert.js';
import { Avatar } from '../components/avatar.js';
import { Time } from '../components/time.js';

// Direct messages (issue 14): end-to-end encrypted conversations with named people. The node
// seals and opens them (node/direct-messages.ts); this shows what it opened and writes through it.

const names = (people, me) =>
  people
    .filter((p) => p.did !== me)
    .map(displayName)
    .join(', ') || 'Only you';

/** Write to named people: a new conversation. */
function NewConversation() {
  const [to, setTo] = useState('');
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    const people = to.split(/[\s,]+/).filter(Boolean);
    if (people.length === 0 || !text.trim()) {
      setError('Name at least one person (their did:key) and write something.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      const r = await post('/api/dms', { to: people, text });
      announce('Message sent');
      go(links.conversation(r.message.conversation));
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }
  return html` <section class="card" aria-labelledby="dm-new-h">
    <h2 id="dm-new-h">New message</h2>
    <form class="form" onSubmit=${submit}>
      <div class="field">
        <label for="dm-to">To (did:key, several separated by spaces)</label>
        <input
          id="dm-to"
          type="text"
          data-testid="dm-to"
          value=${to}
          autocomplete="off"
          autocapitalize="off"
          spellcheck=${false}
          placeholder="did:key:z6Mk…"
          onInput=${(e) => setTo(e.currentTarget.value)}
        />
      </div>
      <div class="field">
        <label for="dm-new-text">Message</label>
        <textarea id="dm-new-text" data-testid="dm-new-text" rows="3" maxlength="5000" value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
      </div>
      <p class="muted">Only the people you name can read it. Nodes that carry it see who sends to whom, when, and how big it is.</p>
      <${Alert} message=${error} />
      <div class="form-actions">
        <button type="submit" class="button button--primary" data-testid="dm-new-send" disabled=${busy}>Send</button>
      </div>
    </form>
  </section>`;
}

/** The list of conversations, newest first. */
export function Messages() {
  const me = useStore(auth).me?.did;
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  useTitle('Messages');
  async function load() {
    try {
      const r = await get('/api/dms');
      setData(r);
      dmUnread.set({ count: r.unread });
      setError('');
    } catch (e) {
      setError(errorText(e));
    }
  }
  useEffect(() => {
    load();
  }, []);
  useEvent('dm', load);
  useEvent('reconnect', load);
  return html` <div class="screen" data-screen="messages">
    <h1 tabindex="-1">Messages</h1>
    <${Alert} message=${error} />
    <${NewConversation} />
    <section aria-labelledby="dm-list-h">
      <h2 id="dm-list-h">Conversations</h2>
      ${!data && !error && html`<p class="muted loading" role="status">Loading…</p>`}
      ${data && data.conversations.length === 0 && html`<p class="muted" data-testid="dm-empty">No conversations yet.</p>`}
      <ul class="dm-list" data-testid="dm-list">
        ${data?.conversations.map(
          (c) =>
            html`<li key=${c.id} class="card dm-item" data-testid="dm-item">
              <a href=${links.conversation(c.id)} class="dm-item-link">
                <strong data-testid="dm-item-names">${names(c.participants, me)}</strong>
                ${c.unread > 0 && html`<span class="nav-badge dm-unread" data-testid="dm-item-unread">${c.unread}<span class="visually-hidden"> unread</span></span>`}
                ${!c.member && html`<span class="muted"> (you were removed)</span>`}
              </a>
              ${
                c.last
                  ? html`<p class="dm-last"><span class="muted">${c.last.author.did === me ? 'You' : displayName(c.last.author)}:</span> ${c.last.content}</p>`
                  : html`<p class="muted">Nothing opened yet.</p>`
              }
            </li>`,
        )}
      </ul>
    </section>
  </div>`;
}

/** One message, with the replies that answer it beneath it. */
function MessageItem({ m, byParent, me, onReply, depth }) {
  const replies = byParent.get(m.id) ?? [];
  const mine = m.author.did === me;
  return html`<li class=${mine ? 'dm-message is-mine' : 'dm-message'} data-testid="dm-message" data-depth=${depth}>
    <div class="dm-message-head">
      <${Avatar} person=${m.author} size="sm" />
      <strong>${mine ? 'You' : displayName(m.author)}</strong>
      <span class="muted"><${Time} iso=${m.published} ago=${true} /></span>
    </div>
    <p class="dm-text" data-testid="dm-text">${m.content}</p>
    <button type="button" class="button button--small" data-testid="dm-reply" onClick=${() => onReply(m)}>Reply</button>
    ${
      replies.length > 0 &&
      html`<ul class="dm-replies" aria-label=${`${plural(replies.length, 'reply', 'replies')}`}>
        ${replies.map((r) => html`<${MessageItem} key=${r.id} m=${r} byParent=${byParent} me=${me} onReply=${onReply} depth=${depth + 1} />`)}
      </ul>`
    }
  </li>`;
}

/** A conversation: its messages threaded by what they answer, and a box to write in. */
export function Conversation({ id }) {
  const me = useStore(auth).me?.did;
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  const [text, setText] = useState('');
  const [replyTo, setReplyTo] = useState(null);
  const [busy, setBusy] = useState(false);
  useTitle('Conversation');
  const path = `/api/dms/${encodeURIComponent(id)}`;
  async function load() {
    try {
      setData(await get(path));
      setError('');
      get('/api/dms').then(
        (r) => dmUnread.set({ count: r.unread }),
        () => {},
      );
    } catch (e) {
      setError(errorText(e));
    }
  }
  useEffect(() => {
    load();
  }, [id]);
  useEvent('dm', (m) => {
    if (m.conversation === id) load();
  });
  useEvent('reconnect', load);

  async function send(e) {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError('');
    try {
      await post(`${path}/messages`, replyTo ? { text, inReplyTo: replyTo.id } : { text });
      setText('');
      setReplyTo(null);
      announce('Message sent');
      await load();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  async function remove(person) {
    if (!confirm(`Remove ${displayName(person)}? They keep what they have read, and cannot read anything written after.`)) return;
    try {
      await del(`${path}/participants/${encodeURIComponent(person.did)}`);
      announce(`${displayName(person)} removed`);
      await load();
    } catch (err) {
      setError(errorText(err));
    }
  }

  const messages = data?.messages ?? [];
  const ids = new Set(messages.map((m) => m.id));
  const byParent = new Map();
  for (const m of messages) {
    const parent = m.inReplyTo && ids.has(m.inReplyTo) ? m.inReplyTo : '';
    byParent.set(parent, [...(byParent.get(parent) ?? []), m]);
  }
  const c = data?.conversation;
  const canRemove = c && c.creator === me && c.member;
  return html` <div class="screen" data-screen="conversation">
    <h1 tabindex="-1" data-testid="dm-title">${c ? names(c.participants, me) : 'Conversation'}</h1>
    <p class="back"><a href=${links.messages}>← All messages</a></p>
    <${Alert} message=${error} />
    ${!data && !error && html`<p class="muted loading" role="status">Loading…</p>`}
    ${
      c &&
      html`<details class="card dm-people">
        <summary>${plural(c.participants.length, 'person', 'people')} in this conversation</summary>
        <ul>
          ${c.participants.map(
            (p) =>
              html`<li key=${p.did} data-testid="dm-participant">
                <a href=${links.person(p.did)}>${p.did === me ? 'You' : displayName(p)}</a>
                ${
                  canRemove &&
                  p.did !== me &&
                  html` <button type="button" class="button button--small" data-testid="dm-remove" onClick=${() => remove(p)}>Remove</button>`
                }
              </li>`,
          )}
        </ul>
      </details>`
    }
    <ul class="dm-thread" data-testid="dm-thread">
      ${(byParent.get('') ?? []).map((m) => html`<${MessageItem} key=${m.id} m=${m} byParent=${byParent} me=${me} onReply=${setReplyTo} depth=${0} />`)}
    </ul>
    ${
      c &&
      (c.member
        ? html`<form class="form card dm-compose" onSubmit=${send}>
            ${
              replyTo &&
              html`<p class="muted" data-testid="dm-replying">
                Replying to ${replyTo.author.did === me ? 'yourself' : displayName(replyTo.author)}: “${replyTo.content.slice(0, 80)}”
                <button type="button" class="button button--small" onClick=${() => setReplyTo(null)}>Cancel</button>
              </p>`
            }
            <label for="dm-text" class="visually-hidden">Message</label>
            <textarea id="dm-text" data-testid="dm-compose" rows="2" maxlength="5000" value=${text} onInput=${(e) => setText(e.currentTarget.value)} />
            <div class="form-actions">
              <button type="submit" class="button button--primary" data-testid="dm-send" disabled=${busy}>Send</button>
            </div>
          </form>`
        : html`<p class="muted" data-testid="dm-removed">You were removed from this conversation: you keep what you read, and nothing new reaches you.</p>`)
    }
  </div>`;
}
