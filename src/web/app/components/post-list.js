import { html } from 'htm/preact';
import { Post } from './post.js';
import { More } from './more.js';

/** items with the parent of `p` (if present) counting one more reply. */
export function bumpParent(items, p) {
  if (!p.inReplyTo) return items;
  return items.map((i) => (i.id === p.inReplyTo ? { ...i, replies: (i.replies ?? 0) + 1 } : i));
}

/** items with `p` added on top (once) and its parent's reply count raised. */
export function withNewPost(items, p) {
  if (items.some((i) => i.id === p.id)) return items;
  return [p, ...bumpParent(items, p)];
}

/** Posts from a paged list (see paged.js), loading more at the end. */
export function PostList({ list, empty, onReplied, label }) {
  return html` <section class="post-list" aria-label=${label} aria-busy=${list.loading ? 'true' : 'false'}>
    ${list.items.map((p) => html`<${Post} key=${p.boostedBy ? p.activity : p.id} post=${p} onReplied=${onReplied} />`)}
    <${More} list=${list} count=${list.items.length} empty=${empty} />
  </section>`;
}
