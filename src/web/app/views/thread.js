import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { displayName } from '../format.js';
import { useEvent, useTitle } from '../hooks.js';
import { links } from '../router.js';
import { Alert, errorText } from '../components/alert.js';
import { Composer } from '../components/composer.js';
import { Post } from '../components/post.js';
import { bumpParent } from '../components/post-list.js';

export function Thread({ id }) {
  useTitle('Thread');
  const [data, setData] = useState(null);
  const [error, setError] = useState('');

  useEffect(() => {
    setData(null);
    setError('');
    if (!id) {
      setError('No post was given. Open a thread from a post.');
      return undefined;
    }
    let live = true;
    get(`/api/thread${query({ id })}`).then(
      (d) => {
        if (live) setData(d);
      },
      (e) => {
        if (live) setError(errorText(e));
      },
    );
    return () => {
      live = false;
    };
  }, [id]);

  /** A reply posted here or arriving live: add it if it belongs to this thread. */
  function addReply(p) {
    setData((d) => {
      if (!d || d.post.id === p.id || d.replies.some((r) => r.id === p.id)) return d;
      const inThread = p.inReplyTo === d.post.id || d.replies.some((r) => r.id === p.inReplyTo);
      if (!inThread) return d;
      const post = p.inReplyTo === d.post.id ? { ...d.post, replies: (d.post.replies ?? 0) + 1 } : d.post;
      return { ...d, post, replies: [...bumpParent(d.replies, p), p] };
    });
  }

  useEvent('post', addReply);

  const name = data ? displayName(data.post.author) : '';
  return html` <div class="screen" data-screen="thread">
    <h1 tabindex="-1">Thread</h1>
    <p class="back"><a href=${links.home}>← Back to Home</a></p>
    <${Alert} message=${error} />
    ${!data && !error && html`<p class="muted loading" role="status">Loading…</p>`}
    ${
      data &&
      html` ${
          data.ancestors.length > 0 &&
          html` <section class="thread-ancestors" aria-label="Earlier in the thread">
            ${data.ancestors.map((p) => html`<${Post} key=${p.id} post=${p} variant="ancestor" showParent=${false} onReplied=${addReply} />`)}
          </section>`
        }
        <${Post} post=${data.post} variant="focus" showParent=${data.ancestors.length === 0} onReplied=${addReply} />
        <section class="card" aria-label=${`Reply to ${name}`}>
          <${Composer}
            inReplyTo=${data.post.id}
            visibility=${data.post.followersOnly ? 'followers' : 'public'}
            label=${`Reply to ${name}`}
            placeholder=${`Reply to ${name}…`}
            submitLabel="Reply"
            onPosted=${addReply}
          />
        </section>
        <section class="thread-replies" aria-labelledby="replies-h">
          <h2 id="replies-h">${data.replies.length ? `Replies (${data.replies.length})` : 'No replies yet'}</h2>
          ${data.replies.map((p) => html`<${Post} key=${p.id} post=${p} variant="reply" showParent=${p.inReplyTo !== data.post.id} onReplied=${addReply} />`)}
        </section>`
    }
  </div>`;
}
