import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { displayName, fullTime, plural } from '../format.js';
import { links } from '../router.js';
import { Avatar } from './avatar.js';
import { Composer } from './composer.js';
import { Icon } from './icons.js';
import { ImageViewer } from './image-viewer.js';
import { RichText } from './rich-text.js';
import { ClaimedDate, Time } from './time.js';
import { fetchMissingMedia } from '../media.js';
import { Sensitive } from './content-warning.js';
import { NameNote } from './person-name.js';
import { useEvent } from '../hooks.js';
import { PostActions, PostEditor } from './post-actions.js';

const isImage = (a) => a.type === 'Image' || a.mediaType?.startsWith('image/');

/** A post longer than this many characters or lines shows its start, with "Show more". */
const FOLD_CHARS = 700;
const FOLD_LINES = 12;

function isLong(text) {
  if (!text) return false;
  if (text.length > FOLD_CHARS) return true;
  let lines = 1;
  for (const ch of text) if (ch === '\n' && ++lines > FOLD_LINES) return true;
  return false;
}

function Attachment({ a, onView }) {
  if (isImage(a)) {
    // Opens the image viewer in the page, not the raw file in a new tab.
    return html`<button type="button" class="attachment attachment--image" onClick=${onView} data-testid="post-image-open" aria-haspopup="dialog">
      <img src=${a.src} alt=${a.name || 'Image without a description'} loading="lazy" decoding="async" data-testid="post-image" onError=${fetchMissingMedia} />
    </button>`;
  }
  if (a.type === 'Video' || a.mediaType?.startsWith('video/')) {
    return html`<video class="attachment" src=${a.src} controls preload="metadata" aria-label=${a.name || 'Video'} onError=${fetchMissingMedia}></video>`;
  }
  if (a.type === 'Audio' || a.mediaType?.startsWith('audio/')) {
    return html`<audio class="attachment" src=${a.src} controls preload="none" aria-label=${a.name || 'Audio'} onError=${fetchMissingMedia}></audio>`;
  }
  return html`<a class="attachment attachment--file" href=${a.src} download=${a.name || ''}>${a.name || 'Download file'}</a>`;
}

/**
 * One post. onReplied(reply) runs after a reply is posted from the inline composer.
 * variant: 'focus' for the post a thread is about, 'ancestor' for the posts above it.
 */
/** "Replying to Bob", naming the author of the post this one answers and linking to it. */
function ReplyContext({ post }) {
  const to = post.inReplyToAuthor;
  const whom = !to ? 'a post' : to.me ? 'you' : displayName(to);
  return html` <p class="post-context muted" data-testid="post-context">
    <${Icon} name="reply" /><span>Replying to <a href=${links.thread(post.inReplyTo)}>${whom}</a></span>
  </p>`;
}

/** The post's text; a long one folds behind "Show more" (never in a thread, where it is the point). */
function PostText({ text, fold, post }) {
  const [open, setOpen] = useState(false);
  const long = fold && isLong(text);
  const rich = html`<${RichText} class="post-text" testid="post-text" text=${text} hashtags=${post.hashtags} mentions=${post.mentions} />`;
  if (!long) return rich;
  return html` <div class=${open ? 'post-fold is-open' : 'post-fold'}>
    ${rich}
    <button
      type="button"
      class="button button--quiet button--small post-more"
      aria-expanded=${open ? 'true' : 'false'}
      onClick=${() => setOpen(!open)}
      data-testid="post-more"
    >
      ${open ? 'Show less' : 'Show more'}
    </button>
  </div>`;
}

/** "Boosted by Ada", above a post shown because someone boosted it. */
function BoostContext({ by }) {
  return html` <p class="post-context muted" data-testid="post-boosted-by">
    <${Icon} name="boost" /><span>Boosted by <a href=${links.person(by.did)}>${by.me ? 'you' : displayName(by)}</a></span>
  </p>`;
}

export function Post({ post: given, variant = '', onReplied, showParent = true }) {
  // Liking, boosting and editing change the post here at once; a new post from above replaces it.
  const [post, setPost] = useState(given);
  useEffect(() => setPost(given), [given]);
  const [editing, setEditing] = useState(false);
  const [deleted, setDeleted] = useState(false);
  const [replying, setReplying] = useState(false);
  const [viewing, setViewing] = useState(null);
  // Edited, liked or boosted (here, on another device, or on another node), or deleted: show it as it is now, or that it is gone.
  useEvent('post-changed', (e) => {
    if (e.id !== post.id) return;
    const { text, edited, attachment, likes, boosts, liked, boosted } = e.post ?? {};
    if (e.post) setPost((p) => ({ ...p, text, edited, attachment, likes, boosts, liked, boosted }));
    else setDeleted(true);
  });
  if (deleted) {
    return html`<p class="post post--deleted muted" role="status" data-testid="post-deleted">
      ${post.mine ? 'You deleted this post.' : 'Its author deleted this post.'}
    </p>`;
  }
  const count = post.replies ?? 0;
  const author = post.author ?? {};
  const name = displayName(author);
  const threadHref = links.thread(post.id);
  const attachments = post.attachment ?? [];
  const images = attachments.filter(isImage);

  return html` <article
    class=${`post ${variant ? `post--${variant}` : ''}`}
    data-testid="post"
    data-id=${post.id}
    aria-label=${`Post by ${name}`}
    aria-current=${variant === 'focus' ? 'true' : undefined}
  >
    ${post.boostedBy && html`<${BoostContext} by=${post.boostedBy} />`}
    <header class="post-header">
      <span class="post-avatar"><${Avatar} person=${author} /></span>
      <div class="post-meta">
        <a class="post-author" href=${links.person(author.did)} data-testid="post-author">${name}</a>
        <${NameNote} person=${author} />
        <a class="post-time muted" href=${threadHref}><${Time} iso=${post.published} /></a>
        ${post.publishedClaim && html`<${ClaimedDate} iso=${post.publishedClaim} />`}
        ${post.edited && html`<span class="post-edited muted" title=${`Edited ${fullTime(post.edited)}`} data-testid="post-edited">edited</span>`}
        ${
          post.followersOnly &&
          html`<span class="post-audience" title="Sealed for the author's approved followers: hosts keep ciphertext" data-testid="post-followers-only"
            ><${Icon} name="lock" /><span>Followers only</span></span
          >`
        }
      </div>
    </header>
    ${showParent && post.inReplyTo && html`<${ReplyContext} post=${post} />`}
    ${
      post.missing &&
      html`<p class="post-missing muted" data-testid="post-missing">
        Your node doesn't hold this post yet; it shows here once it arrives. <code>${post.id}</code>
      </p>`
    }
    <${Sensitive} post=${post}>
      ${
        editing
          ? html`<${PostEditor}
              post=${post}
              onCancel=${() => setEditing(false)}
              onSaved=${(p) => {
                setPost(p);
                setEditing(false);
              }}
            />`
          : post.text && html`<${PostText} text=${post.text} fold=${variant !== 'focus'} post=${post} />`
      }
      ${
        attachments.length > 0 &&
        html` <div class=${`attachments attachments--${Math.min(attachments.length, 4)}`}>
          ${attachments.map((a, i) => html`<${Attachment} key=${a.url || i} a=${a} onView=${() => setViewing(images.indexOf(a))} />`)}
        </div>`
      }
    <//>
    ${viewing !== null && html`<${ImageViewer} images=${images} index=${viewing} onIndex=${setViewing} onClose=${() => setViewing(null)} />`}
    <footer class="post-actions">
      <button
        type="button"
        class="button button--quiet button--small"
        aria-expanded=${replying ? 'true' : 'false'}
        onClick=${() => setReplying(!replying)}
        data-testid="post-reply"
      >
        <${Icon} name="reply" /><span>Reply</span>
      </button>
      ${!post.missing && html`<${PostActions} post=${post} onChange=${setPost} onEdit=${() => setEditing(true)} onDeleted=${() => setDeleted(true)} />`}
      <a class="post-replies" href=${threadHref} data-testid="post-thread"> ${count > 0 ? plural(count, 'reply', 'replies') : 'View thread'} </a>
    </footer>
    ${
      replying &&
      html` <div class="post-reply">
        <${Composer}
          inReplyTo=${post.id}
          label=${`Reply to ${name}`}
          placeholder=${`Reply to ${name}…`}
          submitLabel="Reply"
          testid="reply"
          autoFocus=${true}
          onCancel=${() => setReplying(false)}
          onPosted=${(reply) => {
            setReplying(false);
            onReplied?.(reply);
          }}
        />
      </div>`
    }
  </article>`;
}
