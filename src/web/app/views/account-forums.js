import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get } from '../api.js';
import { Alert, errorText } from '../components/alert.js';
import { short } from '../components/forum-moderation.js';
import { Time } from '../components/time.js';
import { ForumComposer, threads } from './forum.js';
import { JoinForum } from './forums.js';

/**
 * A hosted account in forums, on its own screen: the forums its node keeps
 * (member or not), join one, read it, post and reply. Its session reaches
 * /api/account/forums/… only, where the node signs as the account, so the
 * owner's forum screens (and their moderation) are not its; their join form
 * and composer are, pointed at the account's routes.
 */

const BASE = '/api/account/forums';
/** While a join is answered elsewhere (or later), the list is asked again this often. */
const RECHECK_MS = 3000;

function Author({ did, me }) {
  return html`<span class="post-author did" title=${did}>${did === me ? 'You' : short(did)}</span>`;
}

function AccountForumPost({ forum, p, replies, me, canPost, why, reload }) {
  const [replying, setReplying] = useState(false);
  return html` <article class="post card" data-testid="account-forum-post" data-id=${p.id} data-author=${p.author}>
    <header class="post-header">
      <${Author} did=${p.author} me=${me} />
      <span class="post-time"><${Time} iso=${p.published} /></span>
    </header>
    <p class="post-text" data-testid="account-forum-post-text">${p.text}</p>
    ${
      replies.length > 0 &&
      html` <ul class="thread-replies forum-replies" aria-label="Replies">
        ${replies.map(
          (r) =>
            html` <li key=${r.id} class="post post--reply" data-testid="account-forum-reply-post" data-author=${r.author}>
              <${Author} did=${r.author} me=${me} /> <${Time} iso=${r.published} />
              <p class="post-text" data-testid="account-forum-post-text">${r.text}</p>
            </li>`,
        )}
      </ul>`
    }
    ${
      canPost &&
      html`<div class="forum-post-footer">
        ${
          replying
            ? html`<${ForumComposer}
                forum=${forum}
                inReplyTo=${p.id}
                base=${BASE}
                testid="account-forum-reply-compose"
                why=${why}
                onPosted=${() => (setReplying(false), reload())}
              />`
            : html`<button type="button" class="button button--quiet button--small" data-testid="account-forum-reply" onClick=${() => setReplying(true)}>
                Reply
              </button>`
        }
      </div>`
    }
  </article>`;
}

/** One forum read as the account: its threads, and a composer when the account may post. */
function ForumReader({ forum, me, revoked, onClose }) {
  const [posts, setPosts] = useState(null);
  const [error, setError] = useState('');
  const load = () =>
    get(`${BASE}/${encodeURIComponent(forum.forum)}/posts`).then(
      (r) => (setPosts(r.posts), setError('')),
      (e) => setError(errorText(e)),
    );
  useEffect(() => {
    setPosts(null);
    load();
  }, [forum.forum]);
  const canPost = forum.member && !revoked;
  const why = revoked ? 'You stopped this node posting for you.' : 'Join this forum to post.';
  return html` <section class="card account-forum" aria-labelledby="account-forum-h" data-testid="account-forum" data-forum=${forum.forum}>
    <div class="row account-forum-head">
      <h2 id="account-forum-h" data-testid="account-forum-name">${forum.name}</h2>
      <button type="button" class="button button--quiet button--small" data-testid="account-forum-close" onClick=${onClose}>Close</button>
    </div>
    <p class="muted small did" title="The forum's key">${forum.forum}</p>
    <${Alert} message=${error} />
    <div class="composer">
      <${ForumComposer} forum=${forum.forum} base=${BASE} testid="account-forum-compose" disabled=${!canPost} why=${why} onPosted=${load} />
    </div>
    ${!posts && !error && html`<p class="muted loading" role="status">Loading…</p>`} ${posts && posts.length === 0 && html`<p class="empty">No posts yet.</p>`}
    ${
      posts &&
      threads(posts).map(
        (t) =>
          html`<${AccountForumPost} key=${t.p.id} forum=${forum.forum} p=${t.p} replies=${t.replies} me=${me} canPost=${canPost} why=${why} reload=${load} />`,
      )
    }
  </section>`;
}

/** The account's forums: which the node keeps, the one open for reading, and joining one (cards of the account's screen). */
export function AccountForums({ account, revoked }) {
  const [forums, setForums] = useState(null);
  const [error, setError] = useState('');
  const [open, setOpen] = useState(null);
  // Forums the account asked to join and is no member of yet: said so, and looked at again until admitted.
  const [asked, setAsked] = useState([]);
  const load = () =>
    get(BASE).then(
      (r) => (setForums(r.forums), setError('')),
      (e) => setError(errorText(e)),
    );
  useEffect(() => {
    load();
  }, []);
  const waiting = asked.filter((did) => !forums?.some((f) => f.forum === did && f.member));
  useEffect(() => {
    if (waiting.length === 0) return undefined;
    const t = setInterval(load, RECHECK_MS);
    return () => clearInterval(t);
  }, [waiting.join(' ')]);

  const joined = (r) => {
    if (r.status !== 'member') setAsked((a) => [...a, r.forum]);
    setOpen(r.forum);
    load();
  };
  const reading = open && forums?.find((f) => f.forum === open);
  return html` <section class="card settings-section" aria-labelledby="account-forums-h" data-testid="account-forums">
      <h2 id="account-forums-h">Forums</h2>
      <${Alert} message=${error} />
      ${!forums && !error && html`<p class="muted loading" role="status">Loading…</p>`}
      ${forums && forums.length === 0 && html`<p class="muted">This node keeps no forum yet. Join one with its key.</p>`}
      ${
        forums &&
        forums.length > 0 &&
        html`<ul class="device-list">
          ${forums.map(
            (f) =>
              html` <li key=${f.forum} class="device" data-testid="account-forum-item" data-forum=${f.forum} data-member=${String(f.member)}>
                <span class="device-main">
                  <strong>${f.name}</strong>
                  ${' '}
                  <span class="badge" data-testid="account-forum-role">
                    ${f.member ? 'Member' : waiting.includes(f.forum) ? 'Asked to join' : 'Not a member'}
                  </span>
                </span>
                <button
                  type="button"
                  class="button button--small"
                  data-testid="account-forum-open"
                  aria-pressed=${open === f.forum}
                  aria-label=${`Read ${f.name}`}
                  onClick=${() => setOpen(open === f.forum ? null : f.forum)}
                >
                  Read
                </button>
              </li>`,
          )}
        </ul>`
      }
    </section>
    ${reading && html`<${ForumReader} forum=${reading} me=${account.did} revoked=${revoked} onClose=${() => setOpen(null)} />`}
    ${!revoked && html`<${JoinForum} base=${BASE} onJoined=${joined} />`}`;
}
