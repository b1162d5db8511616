import { html } from 'htm/preact';
import { useState } from 'preact/hooks';

let counter = 0;

/**
 * A post behind a content warning: the warning, and a button that shows the
 * post (its text and media) and hides it again. Until opened the post is not
 * in the page at all, so neither eyes nor screen readers meet it by accident.
 */
export function Sensitive({ post, children }) {
  const [open, setOpen] = useState(false);
  const [id] = useState(() => `cw-${++counter}`);
  if (!post.sensitive) return children;
  return html` <div class=${open ? 'cw is-open' : 'cw'} data-testid="post-cw">
    <p class="cw-summary"><span class="cw-label">Content warning:</span> <span data-testid="post-cw-text">${post.summary || 'sensitive content'}</span></p>
    <button
      type="button"
      class="button button--small cw-toggle"
      aria-expanded=${open ? 'true' : 'false'}
      aria-controls=${id}
      data-testid="post-cw-toggle"
      onClick=${() => setOpen(!open)}
    >
      ${open ? 'Hide post' : 'Show post'}
    </button>
    <div id=${id} class="cw-body" hidden=${!open}>${open && children}</div>
  </div>`;
}

/** The composer's button that adds (or drops) a content warning. */
export function WarningToggle({ open, onToggle, testid }) {
  return html`<button
    type="button"
    class=${open ? 'button button--quiet is-on' : 'button button--quiet'}
    aria-pressed=${open ? 'true' : 'false'}
    data-testid=${`${testid}-cw-toggle`}
    onClick=${onToggle}
    title="Hide the post behind a content warning"
  >
    CW<span class="visually-hidden"> (content warning)</span>
  </button>`;
}

/** The composer's content-warning field: the text readers see before they open the post. */
export function WarningInput({ id, value, onInput, readonly, max, testid }) {
  return html` <div class="field cw-field">
    <label for=${`${id}-cw`}>Content warning <span class="muted">(shown instead of the post until it is opened)</span></label>
    <input
      id=${`${id}-cw`}
      type="text"
      maxlength=${max}
      data-testid=${`${testid}-cw`}
      value=${value}
      placeholder="What is it about? (spoilers, food, politics…)"
      readonly=${readonly}
      onInput=${(e) => onInput(e.currentTarget.value)}
    />
  </div>`;
}
