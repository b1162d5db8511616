import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { get, post, query } from '../api.js';
import { displayName } from '../format.js';
import { useEvent, useTitle } from '../hooks.js';
import { usePaged, idOf } from '../paged.js';
import { unread } from '../state.js';
import { More } from '../components/more.js';
import { Post } from '../components/post.js';
import { bumpParent } from '../components/post-list.js';

const WHAT = { reply: 'replied to your post', mention: 'mentioned you' };

function markRead() {
  unread.set({ count: 0 });
  return post('/api/notifications/read', {}).catch(() => {});
}

export function Notifications() {
  useTitle('Notifications');
  const list = usePaged((before) => get(`/api/notifications${query({ before, limit: 20 })}`), 'notifications');
  const timer = useRef(null);

  // Viewing the screen reads them; the unread styling stays until the next visit.
  useEffect(() => { if (list.loaded && !list.error) markRead(); }, [list.loaded]);
  useEffect(() => () => clearTimeout(timer.current), []);

  useEvent('notification', (n) => {
    list.setItems((xs) => (xs.some((x) => idOf(x) === idOf(n)) ? xs : [{ ...n, unread: true }, ...xs]));
    clearTimeout(timer.current);
    timer.current = setTimeout(markRead, 1500);
  });

  const onReplied = (r) => list.setItems((xs) => xs.map((n) => {
    const [p] = bumpParent([n.post], r);
    return p === n.post ? n : { ...n, post: p };
  }));

  return html`
    <div class="screen" data-screen="notifications">
      <h1 tabindex="-1">Notifications</h1>
      <section class="notification-list" aria-label="Notifications">
        ${list.items.map((n) => html`
          <div key=${idOf(n)} class=${`notification ${n.unread ? 'notification--unread' : ''}`} data-testid="notification"
            data-unread=${n.unread ? 'true' : 'false'}>
            <p class="notification-what">
              ${n.unread && html`<span class="dot" aria-hidden="true"></span><span class="visually-hidden">New: </span>`}
              <strong>${displayName(n.post?.author)}</strong> ${WHAT[n.kind] ?? 'sent you something'}
            </p>
            ${n.post && html`<${Post} post=${n.post} onReplied=${onReplied} />`}
          </div>`)}
        <${More} list=${list} count=${list.items.length} empty="Nothing yet. Replies to your posts and mentions of you show up here." />
      </section>
    </div>`;
}
