import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { del, get, post, query } from '../api.js';
import { displayName } from '../format.js';
import { useStore, useTitle } from '../hooks.js';
import { usePaged } from '../paged.js';
import { auth, announce } from '../state.js';
import { links } from '../router.js';
import { refreshMe } from '../session.js';
import { Alert, errorText } from '../components/alert.js';
import { Avatar } from '../components/avatar.js';
import { PostList, bumpParent, withNewPost } from '../components/post-list.js';
import { ProfileForm } from '../components/profile-form.js';
import { RichText } from '../components/rich-text.js';
import { NameNote } from '../components/person-name.js';
import { PetnameForm } from '../components/petname-form.js';
import { fetchMissingMedia } from '../media.js';
import { RootBlockButton } from './settings/blocked-roots.js';

function CopyDid({ did }) {
  const [copied, setCopied] = useState('');
  const code = useRef(null);
  async function copy() {
    try {
      await navigator.clipboard.writeText(did);
      setCopied('Copied.');
    } catch {
      const range = document.createRange();
      range.selectNodeContents(code.current);
      getSelection().removeAllRanges();
      getSelection().addRange(range);
      setCopied('Selected: press Ctrl+C to copy.');
    }
    setTimeout(() => setCopied(''), 4000);
  }
  return html` <div class="did-row">
    <code ref=${code} class="did" data-testid="profile-did">${did}</code>
    <button type="button" class="button button--quiet button--small" onClick=${copy} aria-label="Copy key">Copy</button>
    <span class="muted" role="status">${copied}</span>
  </div>`;
}

/** What to say of a key of which nothing was found: likely mistyped, or its node not reached yet. */
function notFoundText(person) {
  return [
    "Nothing of this person's has been found yet: no node reached so far knows this key.",
    person.following ? 'Their posts arrive once their node, or someone holding them, is online.' : '',
    'If the key was typed by hand, check it for mistakes.',
  ]
    .filter(Boolean)
    .join(' ');
}

export function Profile({ did, me }) {
  const { me: myself } = useStore(auth);
  const target = me ? myself?.did : did;
  const list = usePaged((before) => get(`/api/people/${encodeURIComponent(target)}${query({ before, limit: 20 })}`), target);
  const [override, setOverride] = useState(null);
  const [editing, setEditing] = useState(false);
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');
  const editButton = useRef(null);

  useEffect(() => {
    setOverride(null);
    setEditing(false);
    setError('');
  }, [target]);

  const person = override ?? list.extra?.person ?? (me ? myself?.actor : null);
  const isMe = me || person?.me || (myself && target === myself.did);
  const name = person ? displayName(person) : me ? 'Your profile' : 'Profile';
  useTitle(name);

  async function act(label, fn) {
    setBusy(label);
    setError('');
    try {
      await fn();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
    }
  }

  const follow = () =>
    act('follow', async () => {
      const res = await post('/api/follows', { target: person.did });
      setOverride(res.person);
      announce(`You now follow ${displayName(res.person)}.`);
      list.reload();
    });
  const unfollow = () =>
    act('unfollow', async () => {
      await del(`/api/follows/${encodeURIComponent(person.did)}`);
      setOverride({ ...person, following: false });
      announce(`You no longer follow ${name}.`);
    });
  const block = () => {
    if (!confirm(`Block ${name}? You won't see their posts, and they can't reply to you.`)) return;
    act('block', async () => {
      const res = await post('/api/blocks', { did: person.did });
      setOverride({ ...(res?.person ?? person), blocked: true });
      announce(`${name} is blocked.`);
    });
  };
  const unblock = () =>
    act('unblock', async () => {
      await del(`/api/blocks/${encodeURIComponent(person.did)}`);
      setOverride({ ...person, blocked: false });
      announce(`${name} is no longer blocked.`);
      list.reload();
    });

  function saved(profile) {
    setOverride({ ...(person ?? {}), ...profile });
    list.setItems((xs) => xs.map((p) => (p.author?.did === profile.did ? { ...p, author: { ...p.author, ...profile } } : p)));
    setEditing(false);
    refreshMe().catch((e) => console.warn(`kith: could not refresh your profile: ${e.message}`));
    requestAnimationFrame(() => editButton.current?.focus());
  }

  /** A new petname: the heading and their posts below take it at once. */
  function named(p) {
    setOverride({ ...person, ...p });
    list.setItems((xs) => xs.map((x) => (x.author?.did === p.did ? { ...x, author: { ...x.author, petname: p.petname } } : x)));
  }

  return html` <div class="screen" data-screen="profile">
    ${person?.image && html`<img class="profile-banner" src=${person.image} alt="" data-testid="profile-banner" onError=${fetchMissingMedia} />`}
    <header class="card profile-head">
      ${person ? html`<${Avatar} person=${person} size="xl" />` : html`<span class="avatar avatar--xl avatar--letter" aria-hidden="true"></span>`}
      <div class="profile-info">
        <h1 tabindex="-1">${name}${isMe && html` <span class="badge">You</span>`}</h1>
        ${person?.petname && html`<p class="profile-self-name"><${NameNote} person=${person} class="muted" /></p>`}
        ${person?.summary && html`<${RichText} class="profile-summary" text=${person.summary} />`} ${target && html`<${CopyDid} did=${target} />`}
        <div class="profile-actions">
          ${
            isMe &&
            html` <button
              type="button"
              ref=${editButton}
              class="button"
              aria-expanded=${editing ? 'true' : 'false'}
              data-testid="edit-profile"
              onClick=${() => setEditing(!editing)}
            >
              Edit profile
            </button>`
          }
          ${isMe && html`<a class="button" href=${`${links.settings}?section=followers`} data-testid="profile-followers">Followers and following</a>`}
          ${
            !isMe &&
            person &&
            html` ${
              person.following
                ? html`<button type="button" class="button" data-testid="profile-follow" onClick=${unfollow} disabled=${!!busy}>
                    ${busy === 'unfollow' ? 'Unfollowing…' : 'Unfollow'}
                  </button>`
                : !person.blocked &&
                  html`<button type="button" class="button button--primary" data-testid="profile-follow" onClick=${follow} disabled=${!!busy}>
                    ${busy === 'follow' ? 'Following…' : 'Follow'}
                  </button>`
            }
            ${
              person.blocked
                ? html`<button type="button" class="button" data-testid="profile-block" onClick=${unblock} disabled=${!!busy}>Unblock</button>`
                : html`<button type="button" class="button button--danger" data-testid="profile-block" onClick=${block} disabled=${!!busy}>Block</button>`
            }
            ${person.hostedBy && html`<${RootBlockButton} root=${person.hostedBy} />`}`
          }
        </div>
        ${busy === 'follow' && html`<p class="muted" role="status"><span class="spinner" aria-hidden="true"></span> Finding and syncing…</p>`}
        ${
          !isMe &&
          person &&
          person.found === false &&
          html` <p class="alert alert--notice profile-not-found" data-testid="profile-not-found">${notFoundText(person)}</p>`
        }
        <${Alert} message=${error} />
        ${!isMe && person && html`<${PetnameForm} key=${person.did} person=${person} onSaved=${named} />`}
      </div>
    </header>
    ${editing && person && html`<${ProfileForm} profile=${person} onSaved=${saved} onCancel=${() => setEditing(false)} />`}
    <h2 class="section-title">Posts</h2>
    ${
      person?.blocked
        ? html`<p class="empty">You blocked ${name}. Their posts are hidden.</p>`
        : html`<${PostList}
            list=${list}
            label=${`Posts by ${name}`}
            onReplied=${(r) => list.setItems((xs) => (r.author?.did === target ? withNewPost(xs, r) : bumpParent(xs, r)))}
            empty=${isMe ? "You haven't posted yet." : `${name} hasn't posted anything you can see yet.`}
          />`
    }
  </div>`;
}
