import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { put, uploadMedia } from '../api.js';
import { announce } from '../state.js';
import { Alert, errorText } from './alert.js';
import { Avatar } from './avatar.js';

/** Edit your name, summary, picture and header image (PUT /api/profile). onSaved(profile). */
export function ProfileForm({ profile, onSaved, onCancel }) {
  const [name, setName] = useState(profile.name ?? '');
  const [summary, setSummary] = useState(profile.summary ?? '');
  const [icon, setIcon] = useState(undefined); // undefined: unchanged, null: removed, Attachment: new
  const [preview, setPreview] = useState('');
  const [header, setHeader] = useState(undefined); // as icon, for the header image
  const [headerPreview, setHeaderPreview] = useState('');
  const [uploading, setUploading] = useState(false);
  const [saving, setSaving] = useState(false);
  const [error, setError] = useState('');
  const first = useRef(null);

  useEffect(() => {
    first.current?.focus();
  }, []);
  useEffect(
    () => () => {
      if (preview) URL.revokeObjectURL(preview);
    },
    [preview],
  );
  useEffect(
    () => () => {
      if (headerPreview) URL.revokeObjectURL(headerPreview);
    },
    [headerPreview],
  );

  /** Uploads the image picked for the picture (setIcon) or the header (setHeader), showing it meanwhile. */
  const pickInto = (setImage, setShown, what) => async (e) => {
    const file = e.currentTarget.files?.[0];
    e.currentTarget.value = '';
    if (!file) return;
    if (!file.type.startsWith('image/')) {
      setError(`Choose an image for your ${what}.`);
      return;
    }
    setError('');
    setUploading(true);
    setShown(URL.createObjectURL(file));
    try {
      setImage(await uploadMedia(file));
    } catch (err) {
      setShown('');
      setImage(undefined);
      setError(`Couldn't upload the ${what}: ${errorText(err)}`);
    } finally {
      setUploading(false);
    }
  };
  const pick = pickInto(setIcon, setPreview, 'picture');
  const pickHeader = pickInto(setHeader, setHeaderPreview, 'header');

  async function save(e) {
    e.preventDefault();
    setSaving(true);
    setError('');
    try {
      const body = { name: name.trim(), summary: summary.trim() };
      if (icon !== undefined) body.icon = icon;
      if (header !== undefined) body.image = header;
      const saved = await put('/api/profile', body);
      announce('Profile saved.');
      onSaved?.(saved);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setSaving(false);
    }
  }

  const shown = icon === null ? { ...profile, icon: null } : preview ? { ...profile, icon: preview } : profile;
  const headerShown = header === null ? null : headerPreview || profile.image;
  return html` <form class="card form profile-form" onSubmit=${save} aria-labelledby="edit-profile-h">
    <h2 id="edit-profile-h">Edit profile</h2>
    <div class="field">
      <label for="profile-name">Name</label>
      <input
        id="profile-name"
        ref=${first}
        type="text"
        maxlength="100"
        autocomplete="nickname"
        data-testid="profile-name"
        value=${name}
        onInput=${(e) => setName(e.currentTarget.value)}
      />
    </div>
    <div class="field">
      <label for="profile-summary">About you</label>
      <textarea
        id="profile-summary"
        rows="3"
        maxlength="1000"
        data-testid="profile-summary"
        value=${summary}
        onInput=${(e) => setSummary(e.currentTarget.value)}
      ></textarea>
    </div>
    <fieldset class="field">
      <legend>Picture</legend>
      <div class="row">
        <${Avatar} person=${shown} size="lg" />
        <label class="button button--quiet file-button">
          <input type="file" accept="image/*" class="visually-hidden" data-testid="profile-avatar" onChange=${pick} />
          <span>${shown.icon ? 'Change picture' : 'Add picture'}</span>
        </label>
        ${
          shown.icon &&
          html`<button
            type="button"
            class="button button--quiet"
            onClick=${() => {
              setIcon(null);
              setPreview('');
            }}
          >
            Remove picture
          </button>`
        }
        ${uploading && html`<span class="muted" role="status">Uploading…</span>`}
      </div>
    </fieldset>
    <fieldset class="field">
      <legend>Header</legend>
      ${headerShown && html`<img class="profile-banner profile-banner--preview" src=${headerShown} alt="" data-testid="profile-header-preview" />`}
      <div class="row">
        <label class="button button--quiet file-button">
          <input type="file" accept="image/*" class="visually-hidden" data-testid="profile-header" onChange=${pickHeader} />
          <span>${headerShown ? 'Change header' : 'Add header'}</span>
        </label>
        ${
          headerShown &&
          html`<button
            type="button"
            class="button button--quiet"
            onClick=${() => {
              setHeader(null);
              setHeaderPreview('');
            }}
          >
            Remove header
          </button>`
        }
      </div>
    </fieldset>
    <${Alert} message=${error} />
    <div class="form-actions">
      <button type="button" class="button button--quiet" onClick=${onCancel}>Cancel</button>
      <button type="submit" class="button button--primary" data-testid="profile-save" disabled=${saving || uploading}>
        ${saving ? 'Saving…' : 'Save profile'}
      </button>
    </div>
  </form>`;
}
