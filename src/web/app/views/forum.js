import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, post } from '../api.js';
import { useEvent, useStore, useTitle } from '../hooks.js';
import { links } from '../router.js';
import { announce, auth } from '../state.js';
import { Alert, errorText } from '../components/alert.js';
import { Time } from '../components/time.js';
import { ActMenu, Invite, Log, Members, Queue, short, useAct } from '../components/forum-moderation.js';
import { ReportForm, Reports } from '../components/forum-reports.js';
import { ForumRoots } from '../components/forum-roots.js';

/** The node takes forum posts of up to this many characters, as it does a person's. */
const MAX_CHARS = 5000;
const MODERATING = new Set(['owner', 'co-owner', 'moderator']);

/**
 * Write in the forum, or reply to one of its posts; off (and saying why) when this person may not post.
 * `base` is the routes posted through (a hosted account's are its own).
 */
export function ForumComposer({ forum, inReplyTo, disabled, why, onPosted, testid = 'forum-compose', base = '/api/forums' }) {
  const [text, setText] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    if (!text.trim()) return;
    setBusy(true);
    setError('');
    try {
      await post(`${base}/${encodeURIComponent(forum)}/posts`, inReplyTo ? { text, inReplyTo } : { text });
      setText('');
      announce(inReplyTo ? 'Reply posted' : 'Posted');
      onPosted();
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }
  const label = inReplyTo ? 'Write a reply' : 'Write in this forum';
  return html` <form class="form" onSubmit=${submit} aria-label=${label}>
    <textarea
      class="composer-text"
      data-testid=${`${testid}-text`}
      aria-label=${label}
      placeholder=${disabled ? why : inReplyTo ? 'Reply…' : 'Say something to the forum…'}
      value=${text}
      maxlength=${MAX_CHARS}
      disabled=${disabled || busy}
      onInput=${(e) => setText(e.currentTarget.value)}
    ></textarea>
    <${Alert} message=${error} />
    <div class="form-actions">
      <button type="submit" class="button button--primary" data-testid=${`${testid}-submit`} disabled=${disabled || busy || !text.trim()}>
        ${inReplyTo ? 'Reply' : 'Post'}
      </button>
    </div>
  </form>`;
}

function ForumPost({ forum, p, replies, me, canPost, canModerate, why, reload }) {
  const [replying, setReplying] = useState(false);
  const [reporting, setReporting] = useState(false);
  const [reported, setReported] = useState(false);
  const { act, error, busy } = useAct(forum, reload);
  const canReport = canPost && p.author !== me;
  return html` <article class="post card" data-testid="forum-post" data-id=${p.id} data-author=${p.author}>
    <header class="post-header">
      <span class="post-author did" title=${p.author}>${p.author === me ? 'You' : short(p.author)}</span>
      <span class="post-time"><${Time} iso=${p.published} /></span>
    </header>
    <p class="post-text" data-testid="forum-post-text">${p.text}</p>
    <${Alert} message=${error} />
    ${
      replies.length > 0 &&
      html` <ul class="thread-replies forum-replies" aria-label="Replies">
        ${replies.map(
          (r) =>
            html` <li key=${r.id} class="post post--reply" data-testid="forum-reply-post" data-author=${r.author}>
              <span class="post-author did" title=${r.author}>${r.author === me ? 'You' : short(r.author)}</span> <${Time} iso=${r.published} />
              <p class="post-text" data-testid="forum-post-text">${r.text}</p>
            </li>`,
        )}
      </ul>`
    }
    <div class="forum-post-footer">
      ${
        canPost &&
        (replying
          ? html`<${ForumComposer}
              forum=${forum}
              inReplyTo=${p.id}
              testid="forum-reply-compose"
              why=${why}
              onPosted=${() => {
                setReplying(false);
                reload();
              }}
            />`
          : html`<button type="button" class="button button--quiet button--small" data-testid="forum-reply" onClick=${() => setReplying(true)}>Reply</button>`)
      }
      ${
        (canModerate || canReport) &&
        html` <${ActMenu} label="More for this post" testid="forum-post-menu">
          ${
            canReport &&
            html`<button type="button" class="button button--small" data-testid="forum-post-report" disabled=${reported} onClick=${() => setReporting(true)}>
              ${reported ? 'Reported' : 'Report'}
            </button>`
          }
          ${
            canModerate &&
            html`<button
              type="button"
              class="button button--small"
              data-testid="forum-post-hide"
              disabled=${busy}
              onClick=${() => act('hide', { post: p.id }, 'Post hidden')}
            >
              Hide
            </button>`
          }
          ${
            canModerate &&
            p.author !== me &&
            html`<button
              type="button"
              class="button button--danger button--small"
              data-testid="forum-post-ban"
              disabled=${busy}
              onClick=${() => act('ban', { did: p.author }, 'Author banned')}
            >
              Ban the author
            </button>`
          }
        <//>`
      }
      ${
        reporting &&
        html`<${ReportForm}
          forum=${forum}
          postId=${p.id}
          onDone=${(sent) => {
            setReporting(false);
            if (sent) setReported(true);
          }}
        />`
      }
    </div>
  </article>`;
}

/** Top-level posts newest first, each with its replies oldest first. */
export function threads(posts) {
  const top = posts.filter((p) => !p.inReplyTo || !posts.some((q) => q.id === p.inReplyTo));
  return top.map((p) => ({
    p,
    replies: posts.filter((r) => r.inReplyTo === p.id).sort((a, b) => (a.published < b.published ? -1 : 1)),
  }));
}

/** One forum: its threads, a composer, members with roles, the moderation queue for moderators, and the log. */
export function Forum({ did }) {
  const me = useStore(auth).me?.did;
  const [data, setData] = useState(null);
  const [error, setError] = useState('');
  useTitle(data?.forum.name ?? 'Forum');
  const path = `/api/forums/${encodeURIComponent(did)}`;

  async function load() {
    try {
      const [list, posts, members, log] = await Promise.all([get('/api/forums'), get(`${path}/posts`), get(`${path}/members`), get(`${path}/log`)]);
      const forum = list.forums.find((f) => f.forum === did);
      if (!forum) throw new Error('You are not in this forum. Join it from Forums.');
      const mine = members.members.find((m) => m.did === me);
      const canModerate = MODERATING.has(mine?.role ?? '');
      const [requests, reports, roots] = canModerate
        ? await Promise.all([get(`${path}/requests`), get(`${path}/reports`), get(`${path}/roots`)]).then(([q, r, t]) => [q.requests, r.reports, t])
        : [[], [], null];
      setData({ forum, posts: posts.posts, members: members.members, acts: log.acts, mine, canModerate, requests, reports, roots });
      setError('');
    } catch (e) {
      setError(errorText(e));
    }
  }
  useEffect(() => {
    load();
  }, [did]);
  useEvent('forum', (e) => {
    if (e.forum === did) load();
  });
  useEvent('reconnect', load);

  const banned = data?.mine?.banned === true;
  const canPost = !!data && !banned && (data.forum.role === 'owner' || data.forum.role === 'member');
  const why = banned
    ? 'You are banned from this forum.'
    : data?.forum.role === 'pending'
      ? 'Waiting for a moderator to admit you.'
      : 'Join this forum to post.';
  return html` <div class="screen" data-screen="forum">
    <h1 tabindex="-1" data-testid="forum-name">${data?.forum.name ?? 'Forum'}</h1>
    <p class="back"><a href=${links.forums}>← All forums</a></p>
    <${Alert} message=${error} />
    ${!data && !error && html`<p class="muted loading" role="status">Loading…</p>`}
    ${
      data &&
      html` <p class="muted small did" data-testid="forum-id" title="The forum's key: give it to people who want to join">${did}</p>
        ${
          banned &&
          html`<div class="alert alert--error" role="alert" data-testid="forum-banned">
            You are banned from this forum. You can read it, but nothing you post here is taken in by any node.
          </div>`
        }
        ${
          data.forum.role === 'pending' &&
          html`<div class="alert alert--notice" role="status" data-testid="forum-pending">
            You asked to join. You can post once the forum’s owner or a moderator admits you.
          </div>`
        }
        <section class="card composer" aria-label="Write in this forum">
          <${ForumComposer} forum=${did} disabled=${!canPost} why=${why} onPosted=${load} />
        </section>
        <section aria-labelledby="forum-posts-h">
          <h2 id="forum-posts-h" class="section-title">Threads</h2>
          ${data.posts.length === 0 && html`<p class="empty">No posts yet.</p>`}
          ${threads(data.posts).map(
            (t) =>
              html`<${ForumPost}
                key=${t.p.id}
                forum=${did}
                p=${t.p}
                replies=${t.replies}
                me=${me}
                canPost=${canPost}
                canModerate=${data.canModerate}
                why=${why}
                reload=${load}
              />`,
          )}
        </section>
        ${data.canModerate && html`<${Queue} forum=${did} requests=${data.requests} reload=${load} />`}
        ${data.canModerate && html`<${Reports} forum=${did} reports=${data.reports} reload=${load} />`}
        ${data.forum.role === 'owner' && html`<${Invite} forum=${did} />`}
        <${Members} forum=${did} members=${data.members} me=${me} canModerate=${data.canModerate} isOwner=${data.forum.role === 'owner'} reload=${load} />
        ${data.canModerate && data.roots && html`<${ForumRoots} key=${JSON.stringify(data.roots.only)} forum=${did} roots=${data.roots} role=${data.forum.role} reload=${load} />`}
        <${Log} acts=${data.acts} />`
    }
  </div>`;
}
