import { html } from 'htm/preact';
import { useRef } from 'preact/hooks';
import { get } from '../../api.js';
import { plural } from '../../format.js';
import { useEvent } from '../../hooks.js';
import { Alert } from '../../components/alert.js';
import { Section, useLoad } from './section.js';

export function Peers() {
  const peers = useLoad(() => get('/api/peers').then((r) => r.peers));
  const status = useLoad(() => get('/api/status'));
  const timer = useRef(null);
  useEvent('peers', () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(peers.reload, 1000);
  });
  const list = peers.data ?? [];
  return html`
    <${Section} id="peers" title="Peers">
      <${Alert} message=${peers.error} />
      ${peers.data && html`<p data-testid="peer-count">Connected to ${plural(list.length, 'peer')}.</p>`}
      ${list.length > 0 && html`
        <ul class="peer-list">
          ${list.map((p) => html`
            <li key=${p.peerId} class="peer">
              <code class="ellipsis" title=${p.peerId}>${p.peerId}</code>
              <span class="muted">${p.direction === 'inbound' ? 'Incoming' : p.direction === 'outbound' ? 'Outgoing' : p.direction}${
                typeof p.streams === 'number' ? ` · ${plural(p.streams, 'stream')}` : ''}</span>
              ${p.addresses?.length > 0 && html`
                <details>
                  <summary>${plural(p.addresses.length, 'address', 'addresses')}</summary>
                  <ul class="addresses">${p.addresses.map((a) => html`<li key=${a}><code>${a}</code></li>`)}</ul>
                </details>`}
            </li>`)}
        </ul>`}
      ${status.data?.peerId && html`
        <p class="muted small">This node's peer id: <code class="break">${status.data.peerId}</code></p>`}
    <//>`;
}
