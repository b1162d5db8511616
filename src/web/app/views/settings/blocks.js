import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { del, get } from '../../api.js';
import { displayName } from '../../format.js';
import { links } from '../../router.js';
import { announce } from '../../state.js';
import { Alert, errorText } from '../../components/alert.js';
import { Avatar } from '../../components/avatar.js';
import { Section, useLoad } from './section.js';

export function Blocks() {
  const blocks = useLoad(() => get('/api/blocks').then((r) => r.blocked));
  const [error, setError] = useState('');
  async function unblock(p) {
    setError('');
    try {
      await del(`/api/blocks/${encodeURIComponent(p.did)}`);
      announce(`${displayName(p)} is no longer blocked.`);
      blocks.setData(blocks.data.filter((x) => x.did !== p.did));
    } catch (e) {
      setError(errorText(e));
    }
  }
  const list = blocks.data ?? [];
  return html` <${Section} id="blocked" title="Blocked people">
    <${Alert} message=${blocks.error || error} />
    ${blocks.data && list.length === 0 && html`<p class="muted">You haven't blocked anyone.</p>`}
    ${
      list.length > 0 &&
      html` <ul class="person-list">
        ${list.map(
          (p) =>
            html` <li key=${p.did} class="person-row" data-testid="blocked">
              <${Avatar} person=${p} size="sm" />
              <a href=${links.person(p.did)} class="ellipsis">${displayName(p)}</a>
              <button type="button" class="button button--small" onClick=${() => unblock(p)} aria-label=${`Unblock ${displayName(p)}`}>Unblock</button>
            </li>`,
        )}
      </ul>`
    }
  <//>`;
}
