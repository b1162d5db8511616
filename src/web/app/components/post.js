import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { displayName, plural, shortDid } from '../format.js';
import { links } from '../router.js';
import { Avatar } from './avatar.js';
import { Composer } from './composer.js';
import { Icon } from './icons.js';
import { RichText } from './rich-text.js';
import { Time } from './time.js';

function Attachment({ a }) {
  if (a.type === 'Image' || a.mediaType?.startsWith('image/')) {
    return html`<a class="attachment" href=${a.src} target="_blank" rel="noopener">
      <img src=${a.src} alt=${a.name || 'Image'} loading="lazy" decoding="async" data-testid="post-image" /></a>`;
  }
  if (a.type === 'Video' || a.mediaType?.startsWith('video/')) {
    return html`<video class="attachment" src=${a.src} controls preload="metadata" aria-label=${a.name || 'Video'}></video>`;
  }
  if (a.type === 'Audio' || a.mediaType?.startsWith('audio/')) {
    return html`<audio class="attachment" src=${a.src} controls preload="none" aria-label=${a.name || 'Audio'}></audio>`;
  }
  return html`<a class="attachment attachment--file" href=${a.src} download=${a.name || ''}>${a.name || 'Download file'}</a>`;
}

/**
 * One post. onReplied(reply) runs after a reply is posted from the inline composer.
 * variant: 'focus' for the post a thread is about, 'ancestor' for the posts above it.
 */
export function Post({ post, variant = '', onReplied, showParent = true }) {
  const [replying, setReplying] = useState(false);
  const count = post.replies ?? 0;
  const author = post.author ?? {};
  const name = displayName(author);
  const threadHref = links.thread(post.id);
  const images = post.attachment ?? [];

  return html`
    <article class=${`post ${variant ? `post--${variant}` : ''}`} data-testid="post" data-id=${post.id}
      aria-label=${`Post by ${name}`} aria-current=${variant === 'focus' ? 'true' : undefined}>
      <header class="post-header">
        <span class="post-avatar"><${Avatar} person=${author} /></span>
        <div class="post-meta">
          <a class="post-author" href=${links.person(author.did)} data-testid="post-author">${name}</a>
          ${author.name && html`<span class="post-did muted" title=${author.did}>${shortDid(author.did)}</span>`}
          <a class="post-time muted" href=${threadHref}><${Time} iso=${post.published} /></a>
        </div>
      </header>
      ${showParent && post.inReplyTo && html`
        <p class="post-context muted"><a href=${links.thread(post.inReplyTo)}>Replying to a post</a></p>`}
      ${post.text && html`<${RichText} class="post-text" testid="post-text" text=${post.text} />`}
      ${images.length > 0 && html`
        <div class=${`attachments attachments--${Math.min(images.length, 4)}`}>
          ${images.map((a, i) => html`<${Attachment} key=${a.url || i} a=${a} />`)}
        </div>`}
      <footer class="post-actions">
        <button type="button" class="button button--quiet button--small" aria-expanded=${replying ? 'true' : 'false'}
          onClick=${() => setReplying(!replying)} data-testid="post-reply">
          <${Icon} name="reply" /><span>Reply</span>
        </button>
        <a class="post-replies" href=${threadHref} data-testid="post-thread">
          ${count > 0 ? plural(count, 'reply', 'replies') : 'View thread'}
        </a>
      </footer>
      ${replying && html`
        <div class="post-reply">
          <${Composer} inReplyTo=${post.id} label=${`Reply to ${name}`} placeholder=${`Reply to ${name}…`}
            submitLabel="Reply" testid="reply" autoFocus=${true} onCancel=${() => setReplying(false)}
            onPosted=${(reply) => { setReplying(false); onReplied?.(reply); }} />
        </div>`}
    </article>`;
}
