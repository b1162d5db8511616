import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, post, query } from '../api.js';
import { displayName, plural } from '../format.js';
import { links } from '../router.js';
import { useEvent, useTitle } from '../hooks.js';
import { usePaged, idOf } from '../paged.js';
import { unread } from '../state.js';
import { More } from '../components/more.js';
import { Post } from '../components/post.js';
import { bumpParent } from '../components/post-list.js';

const WHAT = {
  reply: 'replied to your post',
  mention: 'mentioned you',
  like: 'liked your post',
  boost: 'boosted your post',
  follow: 'followed you',
  'follow-request': 'asks to follow you',
};

function markRead() {
  unread.set({ count: 0 });
  // The badge is cleared here either way; the node keeps the mark for the next visit, or asks again then.
  return post('/api/notifications/read', {}).catch((e) => console.warn(`kith: could not mark notifications read: ${e.message}`));
}

/** The start of the post a notification is about (yours, for a reply), linking to its thread. */
function Quote({ quote }) {
  const whose = quote.author?.me ? 'Your post' : `${displayName(quote.author)}'s post`;
  const images = quote.attachments > 0 ? plural(quote.attachments, 'attachment') : '';
  return html` <a class="quote" href=${links.thread(quote.id)} data-testid="notification-quote">
    <span class="quote-whose">${whose}</span>
    ${quote.text ? html`<span class="quote-text">${quote.text}</span>` : html`<span class="quote-text muted">${images}</span>`}
    ${quote.text && images && html`<span class="quote-extra muted">+ ${images}</span>`}
  </a>`;
}

/** Who did it, linking to their profile. */
function By({ person }) {
  const name = html`<strong>${displayName(person)}</strong>`;
  return person?.did ? html`<a class="notification-by" href=${links.person(person.did)} data-testid="notification-by">${name}</a>` : name;
}

export function Notifications() {
  useTitle('Notifications');
  const [filtered, setFiltered] = useState(false);
  const list = usePaged(
    (before) => get(`/api/notifications${query({ before, limit: 20, ...(filtered ? { filtered: 'true' } : {}) })}`),
    `notifications${filtered ? '-filtered' : ''}`,
  );
  const timer = useRef(null);

  // Viewing the screen reads them; the unread styling stays until the next visit.
  useEffect(() => {
    if (list.loaded && !list.error) markRead();
  }, [list.loaded]);
  useEffect(() => () => clearTimeout(timer.current), []);

  useEvent('notification', (n) => {
    if (filtered) return;
    list.setItems((xs) => (xs.some((x) => idOf(x) === idOf(n)) ? xs : [{ ...n, unread: true }, ...xs]));
    clearTimeout(timer.current);
    timer.current = setTimeout(markRead, 1500);
  });

  const onReplied = (r) =>
    list.setItems((xs) =>
      xs.map((n) => {
        if (!n.post) return n;
        const [p] = bumpParent([n.post], r);
        return p === n.post ? n : { ...n, post: p };
      }),
    );

  return html` <div class="screen" data-screen="notifications">
    <h1 tabindex="-1">Notifications</h1>
    ${
      (list.extra?.filtering || filtered) &&
      html`<button
        type="button"
        class="button button--quiet"
        data-testid="notifications-filtered"
        aria-pressed=${filtered}
        onClick=${() => setFiltered((f) => !f)}
      >
        ${filtered ? 'Back to notifications' : 'Filtered: from people you don\u2019t know'}
      </button>`
    }
    <section class="notification-list" aria-label="Notifications">
      ${list.items.map(
        (n) =>
          html` <div
            key=${idOf(n)}
            class=${`notification ${n.unread ? 'notification--unread' : ''} ${n.post ? '' : 'notification--interaction'}`}
            data-testid="notification"
            data-kind=${n.kind}
            data-unread=${n.unread ? 'true' : 'false'}
          >
            <p class="notification-what" data-testid=${`notification-${n.kind}`}>
              ${n.unread && html`<span class="dot" aria-hidden="true"></span><span class="visually-hidden">New: </span>`}
              <${By} person=${n.by ?? n.post?.author} /> ${WHAT[n.kind] ?? 'sent you something'}
              ${
                n.kind === 'follow-request' &&
                html` <a class="notification-answer" href="#/settings?section=followers" data-testid="notification-answer">Answer</a>`
              }
            </p>
            ${n.quote && html`<${Quote} quote=${n.quote} />`} ${n.post && html`<${Post} post=${n.post} onReplied=${onReplied} showParent=${!n.quote} />`}
          </div>`,
      )}
      <${More} list=${list} count=${list.items.length} empty="Nothing yet. Replies, mentions, likes and boosts of your posts, and follows, show up here." />
    </section>
  </div>`;
}
