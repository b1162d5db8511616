import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { del, get, post, query } from '../api.js';
import { renewPublishing, revokePublishing } from '../account-actions.js';
import { loadDeviceKey } from '../device-key.js';
import { displayName, mediumTime, shortDid } from '../format.js';
import { useAction, useStore, useTitle } from '../hooks.js';
import { usePaged } from '../paged.js';
import { didOfKey } from '../proof.js';
import { loadAccount } from '../session.js';
import { announce, auth } from '../state.js';
import { Alert } from '../components/alert.js';
import { AccountForums } from './account-forums.js';
import { Gate } from './gate.js';
import { Avatar } from '../components/avatar.js';
import { More } from '../components/more.js';
import { RichText } from '../components/rich-text.js';
import { Time } from '../components/time.js';

/**
 * What a hosted account's device shows: the person's own account on a node
 * someone else runs. Its session reaches /api/account/… only, so this is a
 * screen of its own: post, the home timeline, follow and unfollow, its
 * forums (./account-forums.js), renew the node's right to post, or take it back.
 */

/** The node takes posts of up to this many characters. */
const MAX_CHARS = 5000;

function AccountPost({ post: p, following, onUnfollow }) {
  const author = p.author ?? {};
  const name = displayName(author);
  // Pictures are served by the owner's media routes, which this session cannot reach: the initial stands in.
  const person = { did: author.did, name: author.name };
  return html` <article class="post" data-testid="account-post" data-id=${p.id} aria-label=${`Post by ${name}`}>
    <header class="post-header">
      <span class="post-avatar"><${Avatar} person=${person} /></span>
      <div class="post-meta">
        <span class="post-author" data-testid="account-post-author">${name}</span>
        <span class="post-time muted"><${Time} iso=${p.published} /></span>
      </div>
      ${
        following &&
        html`<button type="button" class="button button--quiet button--small" data-testid="account-post-unfollow" onClick=${() => onUnfollow(author.did)}>
          Unfollow
        </button>`
      }
    </header>
    ${p.summary && html`<p class="muted">${p.summary}</p>`} ${p.text && html`<${RichText} text=${p.text} class="post-text" testid="account-post-text" />`}
  </article>`;
}

function Compose({ onPosted }) {
  const [text, setText] = useState('');
  const action = useAction();
  const over = text.length - MAX_CHARS;
  function submit(e) {
    e.preventDefault();
    if (!text.trim() || over > 0) return;
    action.run(async () => {
      const r = await post('/api/account/posts', { text });
      setText('');
      announce('Posted.');
      onPosted(r.post);
    });
  }
  return html` <form class="card composer" onSubmit=${submit} aria-label="Write a post">
    <label for="account-compose" class="visually-hidden">Write a post</label>
    <textarea
      id="account-compose"
      class="composer-text"
      data-testid="account-compose-text"
      rows="3"
      placeholder="What's happening?"
      value=${text}
      onInput=${(e) => setText(e.currentTarget.value)}
      readonly=${action.busy}
    ></textarea>
    <${Alert} message=${action.error || (over > 0 ? `This post is ${over.toLocaleString()} characters too long.` : '')} />
    <div class="composer-actions">
      <button type="submit" class="button button--primary" data-testid="account-compose-submit" disabled=${action.busy || !text.trim() || over > 0}>
        ${action.busy ? 'Posting…' : 'Post'}
      </button>
    </div>
  </form>`;
}

function Follows({ follows, onChange }) {
  const [target, setTarget] = useState('');
  const action = useAction();
  function follow(e) {
    e.preventDefault();
    const t = target.trim();
    if (!t) return;
    action.run(async () => {
      const r = await post('/api/account/follows', { target: t });
      setTarget('');
      announce(r.added ? `You now follow ${shortDid(r.did)}.` : `You already follow ${shortDid(r.did)}.`);
      onChange();
    });
  }
  return html` <section class="card settings-section" aria-labelledby="account-follows-h" data-testid="account-follows">
    <h2 id="account-follows-h">People you follow</h2>
    <form class="inline-form" onSubmit=${follow}>
      <label for="account-follow">Follow by key</label>
      <div class="row">
        <input
          id="account-follow"
          type="text"
          data-testid="account-follow-target"
          value=${target}
          autocomplete="off"
          autocapitalize="off"
          spellcheck=${false}
          placeholder="did:key:z6Mk…"
          onInput=${(e) => setTarget(e.currentTarget.value)}
          readonly=${action.busy}
        />
        <button type="submit" class="button button--primary" data-testid="account-follow-submit" disabled=${action.busy}>Follow</button>
      </div>
    </form>
    <${Alert} message=${action.error} />
    ${follows.length === 0 && html`<p class="muted">You follow nobody yet.</p>`}
    <ul class="device-list">
      ${follows.map(
        (did) =>
          html` <li key=${did} class="device" data-testid="account-following" data-did=${did}>
            <code class="device-main">${shortDid(did)}</code>
            <button
              type="button"
              class="button button--small"
              data-testid="account-unfollow"
              aria-label=${`Unfollow ${shortDid(did)}`}
              onClick=${() => action.run(() => del(`/api/account/follows/${encodeURIComponent(did)}`).then(onChange))}
            >
              Unfollow
            </button>
          </li>`,
      )}
    </ul>
  </section>`;
}

/** The node's right to post for the account: until when, renew when asked, or take it back. */
function Standing({ account, revoked }) {
  const action = useAction();
  const renew = () =>
    action.run(async () => {
      const renewed = await renewPublishing(account);
      announce(`The node may post for you until ${mediumTime(renewed.publishExpires)}.`);
    });
  const revoke = () => {
    const question =
      'Stop this node posting for you? Nothing it signs for you is taken in anywhere from now on, and this account can no longer post here. Your key stays in this browser.';
    if (!confirm(question)) return;
    action.run(async () => {
      await revokePublishing(account);
      await loadAccount();
      announce('This node can no longer post for you.');
    });
  };
  return html` <section class="card settings-section" aria-labelledby="account-standing-h">
    <h2 id="account-standing-h">This node and you</h2>
    ${
      revoked
        ? html`<p class="warning" data-testid="account-revoked">You stopped this node posting for you. Your key is still yours, in this browser.</p>`
        : html`<p data-testid="account-until">
            The node may post for you until <strong>${mediumTime(account.publishExpires)}</strong>.
            ${account.renew ? ' That is soon: renew it to keep posting.' : ''}
          </p>`
    }
    <${Alert} message=${action.error} />
    ${
      !revoked &&
      html`<div class="row">
        ${
          account.renew &&
          html`<button type="button" class="button button--primary" data-testid="account-renew" onClick=${renew} disabled=${action.busy}>
            Renew for 30 days
          </button>`
        }
        <button type="button" class="button button--danger" data-testid="account-revoke" onClick=${revoke} disabled=${action.busy}>
          Stop this node posting for me
        </button>
      </div>`
    }
  </section>`;
}

export function AccountHome() {
  const { account } = useStore(auth);
  useTitle(account.name);
  const [follows, setFollows] = useState([]);
  // The node says whether the account took back its right to post (GET /api/account).
  const revoked = account.revoked === true;
  const list = usePaged((before) => get(`/api/account/timeline${query({ before, limit: 20 })}`), 'account-timeline');
  const loadFollows = () =>
    get('/api/account/follows').then(
      (r) => setFollows(r.follows),
      () => {},
    );

  useEffect(() => {
    loadFollows();
    // Coming back to the app: the node may have let the account go, or want a new certificate.
    const recheck = () => document.visibilityState === 'visible' && loadAccount().catch(() => {});
    document.addEventListener('visibilitychange', recheck);
    return () => document.removeEventListener('visibilitychange', recheck);
  }, []);

  const following = new Set(follows);
  const unfollow = (did) => del(`/api/account/follows/${encodeURIComponent(did)}`).then(() => (loadFollows(), list.reload()));

  return html` <main id="main" class="account-layout" tabindex="-1">
    <div class="screen" data-screen="account-home">
      <header class="card account-card">
        <div class="account-who">
          <${Avatar} person=${{ did: account.did, name: account.name }} size="lg" />
          <div>
            <h1 tabindex="-1" data-testid="account-name">${account.name}</h1>
            <p class="muted">Your account, carried by this node. Your key: <code data-testid="account-did">${account.did}</code></p>
          </div>
        </div>
      </header>
      ${!revoked && html`<${Compose} onPosted=${(p) => p && list.setItems((items) => [p, ...items])} />`}
      <section aria-labelledby="account-timeline-h">
        <h2 id="account-timeline-h">Home</h2>
        <div class="post-list">
          ${list.items.map((p) => html`<${AccountPost} key=${p.id} post=${p} following=${following.has(p.author?.did)} onUnfollow=${unfollow} />`)}
        </div>
        <${More} list=${list} count=${list.items.length} empty="Nothing here yet. Write a post, or follow someone." />
      </section>
      <${Follows} follows=${follows} onChange=${() => (loadFollows(), list.reload())} />
      <${AccountForums} account=${account} revoked=${revoked} />
      <${Standing} account=${account} revoked=${revoked} />
    </div>
  </main>`;
}

/** The node stopped hosting the account (or no longer knows its key). The key stays: it is the person. */
export function AccountGone() {
  const { notice } = useStore(auth);
  const [did, setDid] = useState('');
  useEffect(() => {
    loadDeviceKey().then((k) => k && didOfKey(k.publicKey).then(setDid));
  }, []);
  return html`<${Gate} screen="account-gone" title="No longer hosted here">
    <${Alert} message=${notice} kind="notice" />
    <p>What you posted stays signed in your name. The node’s owner no longer vouches for you, and the node stopped posting for you.</p>
    ${did && html`<p class="muted">Your key: <code data-testid="account-gone-did">${did}</code></p>`}
  <//>`;
}
