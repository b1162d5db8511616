import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { post } from '../api.js';
import { announce } from '../state.js';
import { Alert, errorText } from './alert.js';
import { Time } from './time.js';
import { short } from './forum-moderation.js';

/** The node takes a report's reason of up to this many characters. */
const MAX_REASON = 500;

/** A member reports a post: the reason goes, with their name, to the forum's owner and moderators only. */
export function ReportForm({ forum, postId, onDone }) {
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  async function submit(e) {
    e.preventDefault();
    if (!reason.trim()) {
      setError('Say briefly what is wrong with this post.');
      return;
    }
    setBusy(true);
    setError('');
    try {
      await post(`/api/forums/${encodeURIComponent(forum)}/reports`, { post: postId, reason: reason.trim() });
      announce('Reported to the forum’s moderators');
      onDone(true);
    } catch (err) {
      setError(errorText(err));
      setBusy(false);
    }
  }
  return html` <form class="form forum-report-form" onSubmit=${submit} aria-label="Report this post" data-testid="forum-report-form">
    <div class="field">
      <label for=${`report-${postId}`}>Why are you reporting it?</label>
      <input
        id=${`report-${postId}`}
        type="text"
        data-testid="forum-report-reason"
        value=${reason}
        maxlength=${MAX_REASON}
        onInput=${(e) => setReason(e.currentTarget.value)}
      />
      <p class="field-hint">Only the forum’s owner and moderators see your report and your name.</p>
    </div>
    <${Alert} message=${error} />
    <div class="form-actions">
      <button type="button" class="button button--quiet" onClick=${() => onDone(false)}>Cancel</button>
      <button type="submit" class="button button--primary" data-testid="forum-report-submit" disabled=${busy}>Send report</button>
    </div>
  </form>`;
}

/** Open reports, beside the join requests: dismiss one, or hide the post or ban its author (a signed act in the log). */
export function Reports({ forum, reports, reload }) {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function answer(path, body, done) {
    setBusy(true);
    setError('');
    try {
      await post(`/api/forums/${encodeURIComponent(forum)}/reports/${path}`, body);
      announce(done);
      reload();
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }
  return html` <section class="card" aria-labelledby="forum-reports-h" data-testid="forum-reports">
    <h2 id="forum-reports-h">Reports (${reports.length})</h2>
    <${Alert} message=${error} />
    ${reports.length === 0 && html`<p class="empty">No open reports.</p>`}
    <ul class="person-list">
      ${reports.map(
        (r) =>
          html` <li key=${r.id} class="forum-report" data-testid="forum-report" data-post=${r.post}>
            <p class="forum-report-reason"><strong>${r.reason}</strong></p>
            <p class="muted small">Reported by <span class="did" title=${r.reporter}>${short(r.reporter)}</span> <${Time} iso=${r.reported} /></p>
            <blockquote class="forum-report-post" data-testid="forum-report-post">
              ${r.text ?? 'This node does not hold the post (yet).'}
              ${r.author && html`<span class="muted small"> — <span class="did" title=${r.author}>${short(r.author)}</span></span>`}
            </blockquote>
            <div class="row">
              <button
                type="button"
                class="button button--small"
                data-testid="forum-report-hide"
                disabled=${busy}
                onClick=${() => answer('act', { id: r.id, action: 'hide' }, 'Post hidden')}
              >
                Hide the post
              </button>
              ${
                r.author &&
                html`<button
                  type="button"
                  class="button button--danger button--small"
                  data-testid="forum-report-ban"
                  disabled=${busy}
                  onClick=${() => answer('act', { id: r.id, action: 'ban' }, 'Author banned')}
                >
                  Ban the author
                </button>`
              }
              <button
                type="button"
                class="button button--quiet button--small"
                data-testid="forum-report-dismiss"
                disabled=${busy}
                onClick=${() => answer('dismiss', { id: r.id }, 'Report dismissed')}
              >
                Dismiss
              </button>
            </div>
          </li>`,
      )}
    </ul>
  </section>`;
}
