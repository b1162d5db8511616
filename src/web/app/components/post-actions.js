import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { del, patch, post as apiPost, query } from '../api.js';
import { announce } from '../state.js';
import { plural } from '../format.js';
import { Alert, errorText } from './alert.js';
import { Icon } from './icons.js';

/** The node takes posts of up to this many characters; an edit is a post's new text. */
const MAX_CHARS = 5000;

/**
 * Like and boost a post (each a toggle with its count), and on the owner's
 * own posts edit (onEdit opens the editor) and delete. onChange(post) gets
 * the post as the node shows it afterwards; onDeleted() runs once the node
 * has deleted it.
 */
export function PostActions({ post, onChange, onEdit, onDeleted }) {
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');

  async function toggle(kind) {
    const on = kind === 'like' ? post.liked : post.boosted;
    const path = kind === 'like' ? '/api/likes' : '/api/boosts';
    setBusy(kind);
    setError('');
    try {
      const r = on ? await del(`${path}${query({ id: post.id })}`) : await apiPost(path, { id: post.id });
      if (r.post) onChange({ ...post, likes: r.post.likes, boosts: r.post.boosts, liked: r.post.liked, boosted: r.post.boosted });
      announce(kind === 'like' ? (on ? 'Like taken back' : 'Liked') : on ? 'Boost taken back' : 'Boosted');
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy('');
    }
  }

  const likes = post.likes ?? 0;
  const boosts = post.boosts ?? 0;
  // A like, boost or edit would travel in public naming a post only followers may read: its author may delete it.
  if (post.followersOnly) {
    return html` <${Alert} message=${error} />
      ${post.mine && !post.boostedBy && html`<${DeleteButton} post=${post} onDeleted=${onDeleted} />`}`;
  }
  return html` <${Alert} message=${error} />
    <button
      type="button"
      class=${`button button--quiet button--small post-like${post.liked ? ' is-on' : ''}`}
      aria-pressed=${post.liked ? 'true' : 'false'}
      disabled=${busy === 'like'}
      onClick=${() => toggle('like')}
      data-testid="post-like"
      title=${post.liked ? 'Take back your like' : 'Like'}
    >
      <${Icon} name="heart" /><span>${post.liked ? 'Liked' : 'Like'}</span>
      <span class="post-count" data-testid="post-likes">${likes > 0 ? likes : ''}</span>
      <span class="visually-hidden">, ${plural(likes, 'like')}</span>
    </button>
    <button
      type="button"
      class=${`button button--quiet button--small post-boost${post.boosted ? ' is-on' : ''}`}
      aria-pressed=${post.boosted ? 'true' : 'false'}
      disabled=${busy === 'boost'}
      onClick=${() => toggle('boost')}
      data-testid="post-boost"
      title=${post.boosted ? 'Take back your boost' : 'Boost to your followers'}
    >
      <${Icon} name="boost" /><span>${post.boosted ? 'Boosted' : 'Boost'}</span>
      <span class="post-count" data-testid="post-boosts">${boosts > 0 ? boosts : ''}</span>
      <span class="visually-hidden">, ${plural(boosts, 'boost')}</span>
    </button>
    ${
      post.mine &&
      !post.boostedBy &&
      html`<button type="button" class="button button--quiet button--small" onClick=${onEdit} data-testid="post-edit">
          <${Icon} name="edit" /><span>Edit</span>
        </button>
        <${DeleteButton} post=${post} onDeleted=${onDeleted} />`
    }`;
}

/** Edits the text of one of the owner's posts in place; onSaved(post) gets the new version. */
export function PostEditor({ post, onSaved, onCancel }) {
  const [text, setText] = useState(post.text ?? '');
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState('');
  const area = useRef(null);
  useEffect(() => area.current?.focus(), []);

  async function save(e) {
    e.preventDefault();
    if (!text.trim()) return setError('A post needs some text.');
    if (text.length > MAX_CHARS) return setError(`A post is at most ${MAX_CHARS.toLocaleString()} characters.`);
    setSaving(true);
    setError('');
    try {
      const r = await patch('/api/posts', { id: post.id, text });
      onSaved(r.post ? { ...post, text: r.post.text, edited: r.post.edited } : { ...post, text });
      announce('Post edited');
    } catch (err) {
      setError(errorText(err));
      setSaving(false);
    }
  }

  return html` <form class="post-editor" onSubmit=${save} data-testid="post-editor">
    <label class="visually-hidden" for=${`edit-${post.id}`}>Edit your post</label>
    <textarea
      ref=${area}
      id=${`edit-${post.id}`}
      rows="4"
      value=${text}
      onInput=${(e) => setText(e.currentTarget.value)}
      data-testid="post-edit-text"
    ></textarea>
    <${Alert} message=${error} />
    <div class="post-editor-buttons">
      <button type="submit" class="button button--primary button--small" disabled=${saving} data-testid="post-edit-save">${saving ? 'Saving…' : 'Save'}</button>
      <button type="button" class="button button--quiet button--small" onClick=${onCancel}>Cancel</button>
    </div>
  </form>`;
}

/** Deletes one of the owner's posts, after a second press to confirm. */
function DeleteButton({ post, onDeleted }) {
  const [confirming, setConfirming] = useState(false);
  const [error, setError] = useState('');
  async function remove() {
    setError('');
    setConfirming(false);
    try {
      await del(`/api/posts${query({ id: post.id })}`);
      announce('Post deleted');
      onDeleted?.();
    } catch (e) {
      setError(errorText(e));
    }
  }
  return html` <span class="post-delete">
    ${
      confirming
        ? html`<button type="button" class="button button--danger button--small" onClick=${remove} data-testid="post-delete-confirm">Delete for good</button>
            <button type="button" class="button button--quiet button--small" onClick=${() => setConfirming(false)}>Keep it</button>`
        : html`<button type="button" class="button button--quiet button--small" onClick=${() => setConfirming(true)} data-testid="post-delete">
            <${Icon} name="trash" /><span>Delete…</span>
          </button>`
    }
    <${Alert} message=${error} />
  </span>`;
}
