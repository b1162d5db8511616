import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { post as apiPost, uploadMedia } from '../api.js';
import { announce } from '../state.js';
import { Alert, errorText } from './alert.js';
import { Icon } from './icons.js';
import { WarningInput, WarningToggle } from './content-warning.js';

const MAX_FILES = 4;
const MAX_BYTES = 16 * 1024 * 1024;
/** The node takes posts of up to this many characters (UTF-16 units, as it counts them). */
const MAX_CHARS = 5000;
/** Image descriptions as long as the node keeps. */
const MAX_ALT_CHARS = 1500;
/** Content warnings as long as the node keeps. */
const MAX_WARNING_CHARS = 500;
/** The counter turns to a warning this close to the limit. */
const WARN_LEFT = 100;
let counter = 0;

/** How many characters are left ("4,988 left"), or how many too many. */
function CharCounter({ used, id, testid }) {
  const left = MAX_CHARS - used;
  const cls = left < 0 ? 'counter is-over' : left <= WARN_LEFT ? 'counter is-near' : 'counter';
  return html` <span class=${cls} id=${id} data-testid=${`${testid}-counter`} data-left=${left} title=${`Up to ${MAX_CHARS.toLocaleString()} characters`}>
    ${left < 0 ? `${(-left).toLocaleString()} too many` : `${left.toLocaleString()} left`}
    <span class="visually-hidden"> of ${MAX_CHARS.toLocaleString()} characters</span>
  </span>`;
}

/** The attachment to post: the description the person gave is its name (alt text); a file name is not a description. */
function described(f) {
  const { name: _fileName, ...a } = f.attachment;
  const alt = f.alt.trim();
  return alt ? { ...a, name: alt } : a;
}

/**
 * Write a post or a reply, with images. Ctrl/Cmd+Enter posts.
 * testid: prefix of the data-testid hooks (compose → compose-text, compose-file, compose-visibility, compose-submit).
 * visibility: who the post is for at first, 'public' or 'followers' (sealed for approved followers).
 */
export function Composer({
  inReplyTo,
  onPosted,
  onCancel,
  label = 'Write a post',
  placeholder = "What's happening?",
  submitLabel = 'Post',
  testid = 'compose',
  autoFocus = false,
  visibility: initialVisibility = 'public',
}) {
  const [id] = useState(() => `composer-${++counter}`);
  const [text, setText] = useState('');
  const [files, setFiles] = useState([]);
  const [warning, setWarning] = useState('');
  const [warned, setWarned] = useState(false);
  const [visibility, setVisibility] = useState(initialVisibility);
  const [posting, setPosting] = useState(false);
  const [error, setError] = useState('');
  const area = useRef(null);
  const filesRef = useRef(files);
  filesRef.current = files;

  useEffect(() => {
    if (autoFocus) area.current?.focus();
  }, []);
  useEffect(() => () => filesRef.current.forEach((f) => URL.revokeObjectURL(f.url)), []);

  const uploading = files.some((f) => f.uploading);
  const over = text.length - MAX_CHARS;
  const tooLong = over > 0;
  const lengthError = tooLong
    ? `This ${inReplyTo ? 'reply' : 'post'} is ${over.toLocaleString()} ${over === 1 ? 'character' : 'characters'} too long: the most is ${MAX_CHARS.toLocaleString()}.`
    : '';

  /** New text: an earlier complaint about the text no longer holds. */
  function edit(value) {
    setText(value);
    if (error) setError('');
  }

  function change(key, patch) {
    setFiles((list) => list.map((f) => (f.key === key ? { ...f, ...patch } : f)));
  }

  async function addFiles(e) {
    const input = e.currentTarget;
    const picked = [...(input.files ?? [])];
    input.value = '';
    setError('');
    const room = MAX_FILES - filesRef.current.length;
    if (picked.length > room) setError(`You can add up to ${MAX_FILES} images to a post.`);
    for (const file of picked.slice(0, Math.max(0, room))) {
      if (!file.type.startsWith('image/')) {
        setError(`${file.name} is not an image.`);
        continue;
      }
      if (file.size > MAX_BYTES) {
        setError(`${file.name} is larger than 16 MB.`);
        continue;
      }
      const entry = { key: `${id}-${++counter}`, file, url: URL.createObjectURL(file), uploading: true, attachment: null, alt: '' };
      setFiles((list) => [...list, entry]);
      uploadMedia(file).then(
        (attachment) => change(entry.key, { uploading: false, attachment }),
        (err) => {
          setFiles((list) => list.filter((f) => f.key !== entry.key));
          URL.revokeObjectURL(entry.url);
          setError(`Couldn't upload ${file.name}: ${errorText(err)}`);
        },
      );
    }
  }

  function remove(entry) {
    URL.revokeObjectURL(entry.url);
    setFiles((list) => list.filter((f) => f.key !== entry.key));
    area.current?.focus();
  }

  async function submit(e) {
    e?.preventDefault();
    if (posting) return;
    if (uploading) {
      setError('Wait for the images to finish uploading.');
      return;
    }
    const body = text.trim();
    const attachment = files.filter((f) => f.attachment).map(described);
    if (!body && attachment.length === 0) {
      setError(inReplyTo ? 'Write a reply first.' : 'Write something or add an image first.');
      area.current?.focus();
      return;
    }
    if (tooLong) {
      area.current?.focus();
      return;
    }
    setPosting(true);
    setError('');
    try {
      const payload = { text: body };
      if (inReplyTo) payload.inReplyTo = inReplyTo;
      if (attachment.length) payload.attachment = attachment;
      if (warned && warning.trim()) payload.summary = warning.trim();
      if (visibility === 'followers') payload.visibility = 'followers';
      const res = await apiPost('/api/posts', payload);
      files.forEach((f) => URL.revokeObjectURL(f.url));
      setFiles([]);
      setText('');
      setWarning('');
      setWarned(false);
      setVisibility(initialVisibility);
      announce(`${inReplyTo ? 'Reply posted' : 'Posted'}${visibility === 'followers' ? ' for your followers only' : ''}.`);
      onPosted?.(res.post);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setPosting(false);
    }
  }

  function onKeyDown(e) {
    if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) submit(e);
    else if (e.key === 'Escape' && onCancel && !text) onCancel();
  }

  return html` <form class="composer" onSubmit=${submit} aria-busy=${posting ? 'true' : 'false'}>
    ${warned && html`<${WarningInput} id=${id} testid=${testid} value=${warning} max=${MAX_WARNING_CHARS} readonly=${posting} onInput=${setWarning} />`}
    <label class="visually-hidden" for=${id}>${label}</label>
    <textarea
      id=${id}
      ref=${area}
      class="composer-text"
      rows="3"
      placeholder=${placeholder}
      aria-label=${label}
      data-testid=${`${testid}-text`}
      value=${text}
      onInput=${(e) => edit(e.currentTarget.value)}
      onKeyDown=${onKeyDown}
      readonly=${posting}
      aria-describedby=${`${id}-count`}
      aria-invalid=${tooLong ? 'true' : undefined}
    ></textarea>
    ${
      files.length > 0 &&
      html` <ul class="previews" aria-label="Images to post">
        ${files.map(
          (f, i) =>
            html` <li key=${f.key} class=${f.uploading ? 'preview is-uploading' : 'preview'}>
              <div class="preview-image">
                <img src=${f.url} alt=${f.alt.trim() || `Image ${i + 1}, not described yet`} data-testid=${`${testid}-preview`} />
                ${f.uploading && html`<span class="preview-status">Uploading…</span>`}
                <button
                  type="button"
                  class="preview-remove"
                  onClick=${() => remove(f)}
                  aria-label=${`Remove image ${i + 1}`}
                  data-testid=${`${testid}-remove-image`}
                >
                  <${Icon} name="close" />
                </button>
              </div>
              <div class="preview-alt">
                <label for=${`${f.key}-alt`}
                  >Describe ${files.length > 1 ? `image ${i + 1}` : 'the image'} <span class="muted">(for people who can't see it)</span></label
                >
                <textarea
                  id=${`${f.key}-alt`}
                  rows="2"
                  maxlength=${MAX_ALT_CHARS}
                  data-testid=${`${testid}-alt`}
                  value=${f.alt}
                  placeholder="What is in the image?"
                  readonly=${posting}
                  onInput=${(e) => change(f.key, { alt: e.currentTarget.value })}
                ></textarea>
              </div>
            </li>`,
        )}
      </ul>`
    }
    <${Alert} message=${lengthError || error} />
    <div class="composer-actions">
      <label class="button button--quiet file-button">
        <input
          type="file"
          accept="image/*"
          multiple
          class="visually-hidden"
          data-testid=${`${testid}-file`}
          onChange=${addFiles}
          disabled=${posting || files.length >= MAX_FILES}
        />
        <${Icon} name="image" /><span>Add image</span>
      </label>
      <${WarningToggle} open=${warned} testid=${testid} onToggle=${() => setWarned(!warned)} />
      <label class="composer-visibility">
        <${Icon} name=${visibility === 'followers' ? 'lock' : 'user'} />
        <span class="visually-hidden">Who can read it</span>
        <select
          value=${visibility}
          disabled=${posting}
          data-testid=${`${testid}-visibility`}
          title="Public: anyone who gets your posts. Followers only: sealed for the followers you approved; hosts keep ciphertext."
          onChange=${(e) => setVisibility(e.currentTarget.value)}
        >
          <option value="public">Public</option>
          <option value="followers">Followers only</option>
        </select>
      </label>
      <span class="composer-end">
        <${CharCounter} used=${text.length} id=${`${id}-count`} testid=${testid} />
        ${onCancel && html`<button type="button" class="button button--quiet" onClick=${onCancel}>Cancel</button>`}
        <button
          type="submit"
          class="button button--primary"
          data-testid=${`${testid}-submit`}
          disabled=${posting || uploading || tooLong}
          aria-keyshortcuts="Control+Enter"
          title=${`${submitLabel} (Ctrl+Enter)`}
        >
          ${posting ? 'Posting…' : submitLabel}
        </button>
      </span>
    </div>
  </form>`;
}
