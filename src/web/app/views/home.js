import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { displayName } from '../format.js';
import { useEvent, useTitle } from '../hooks.js';
import { usePaged } from '../paged.js';
import { announce } from '../state.js';
import { Composer } from '../components/composer.js';
import { FollowForm } from '../components/follow-form.js';
import { PostList, bumpParent, withNewPost } from '../components/post-list.js';

const atTop = () => window.scrollY < 150;

export function Home() {
  useTitle('Home');
  const list = usePaged((before) => get(`/api/timeline${query({ before, limit: 20 })}`), 'timeline');
  const [pending, setPending] = useState([]);
  const heading = useRef(null);
  const toAnnounce = useRef([]);
  const announceTimer = useRef(null);
  /** Posts already taken in (and their parents' reply counts raised), however they came: live, posted here, caught up. */
  const counted = useRef(new Set());
  const items = useRef(list.items);
  items.current = list.items;

  useEffect(() => () => clearTimeout(announceTimer.current), []);

  function queueAnnouncement(p) {
    toAnnounce.current.push(p);
    clearTimeout(announceTimer.current);
    announceTimer.current = setTimeout(() => {
      const ps = toAnnounce.current;
      toAnnounce.current = [];
      announce(ps.length === 1 ? `New post from ${displayName(ps[0].author)}` : `${ps.length} new posts`);
    }, 1200);
  }

  function incoming(p, { own = false } = {}) {
    if (counted.current.has(p.id) || items.current.some((i) => i.id === p.id)) {
      // The live event of a post made here can come before the answer to making it: show it now, counted once.
      if (own) {
        setPending((ps) => ps.filter((x) => x.id !== p.id));
        list.setItems((xs) => (xs.some((i) => i.id === p.id) ? xs : [p, ...xs]));
      }
      return;
    }
    counted.current.add(p.id);
    if (own || atTop()) {
      list.setItems((xs) => withNewPost(xs, p));
    } else {
      list.setItems((xs) => bumpParent(xs, p));
      setPending((ps) => (ps.some((x) => x.id === p.id) ? ps : [p, ...bumpParent(ps, p)]));
    }
    if (!own && !p.mine) queueAnnouncement(p);
  }

  /** After a sync, a reconnect or a follow: pick up what arrived meanwhile. */
  async function catchUp() {
    if (atTop() && pending.length === 0) {
      list.reload();
      return;
    }
    try {
      const page = await get(`/api/timeline${query({ limit: 20 })}`);
      for (const p of [...page.items].reverse()) incoming(p);
    } catch {
      // the next event or reload will try again
    }
  }

  function showPending() {
    list.setItems((xs) => {
      const seen = new Set(xs.map((x) => x.id));
      return [...pending.filter((p) => !seen.has(p.id)), ...xs];
    });
    setPending([]);
    window.scrollTo({ top: 0 });
    heading.current?.focus();
  }

  useEvent('post', (p) => incoming(p));
  useEvent('sync', (s) => {
    if (!s.active) catchUp();
  });
  useEvent('reconnect', () => catchUp());

  return html` <div class="screen" data-screen="home">
    <h1 ref=${heading} tabindex="-1">Home</h1>
    <section class="card" aria-label="New post">
      <${Composer} onPosted=${(p) => incoming(p, { own: true })} />
    </section>
    <${FollowForm} onFollowed=${() => catchUp()} />
    ${
      pending.length > 0 &&
      html` <div class="new-posts">
        <button type="button" class="button button--primary button--pill" onClick=${showPending} data-testid="new-posts">
          ${pending.length === 1 ? '1 new post' : `${pending.length} new posts`}
        </button>
      </div>`
    }
    <h2 class="visually-hidden">Timeline</h2>
    <${PostList}
      list=${list}
      label="Timeline"
      onReplied=${(r) => incoming(r, { own: true })}
      empty="No posts yet. Write something, or follow someone to see their posts here."
    />
  </div>`;
}
