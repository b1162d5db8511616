import { html } from 'htm/preact';
import { useRef } from 'preact/hooks';
import { get } from '../../api.js';
import { displayName, plural, shortDid } from '../../format.js';
import { useEvent } from '../../hooks.js';
import { links } from '../../router.js';
import { Alert } from '../../components/alert.js';
import { Avatar } from '../../components/avatar.js';
import { Section, useLoad } from './section.js';

const DIRECTION = { inbound: 'They connected to you', outbound: 'You connected to them', both: 'Connected both ways' };

/** A peer id is long and means little to people: its start and end are enough to tell two apart. */
function shortPeerId(id) {
  return id.length > 20 ? `${id.slice(0, 8)}…${id.slice(-6)}` : id;
}

/** One connected node: whose it is when known, and how it is connected. */
function Peer({ peer }) {
  const who = peer.person;
  const how = [DIRECTION[peer.direction] ?? peer.direction];
  if (peer.connections > 1) how.push(plural(peer.connections, 'connection'));
  return html` <li class="peer" data-testid="peer" data-peer-id=${peer.peerId} data-connections=${peer.connections}>
    ${who ? html`<${Avatar} person=${who} size="sm" />` : html`<span class="avatar avatar--sm avatar--node" aria-hidden="true"></span>`}
    <div class="peer-main">
      <p class="peer-name">
        ${
          who
            ? html`<a href=${links.person(who.did)} data-testid="peer-person">${displayName(who)}</a
                >${who.name && html`<span class="peer-did muted small">${shortDid(who.did)}</span>`}`
            : html`<span>Unknown node</span>`
        }
      </p>
      <p class="muted small peer-how">
        ${how.join(' · ')} · <span title=${peer.peerId}>peer <code>${shortPeerId(peer.peerId)}</code></span>
      </p>
      ${
        peer.addresses?.length > 0 &&
        html` <details>
          <summary>${plural(peer.addresses.length, 'address', 'addresses')}</summary>
          <ul class="addresses">
            ${peer.addresses.map((a) => html`<li key=${a}><code>${a}</code></li>`)}
          </ul>
        </details>`
      }
    </div>
  </li>`;
}

export function Peers() {
  const peers = useLoad(() => get('/api/peers').then((r) => r.peers));
  const status = useLoad(() => get('/api/status'));
  const timer = useRef(null);
  useEvent('peers', () => {
    clearTimeout(timer.current);
    timer.current = setTimeout(peers.reload, 1000);
  });
  const list = peers.data ?? [];
  return html` <${Section} id="peers" title="Peers">
    <${Alert} message=${peers.error} />
    ${
      peers.data &&
      html`<p data-testid="peer-count">${list.length === 0 ? 'Not connected to any other node right now.' : `Connected to ${plural(list.length, 'node')}.`}</p>`
    }
    ${
      list.length > 0 &&
      html` <ul class="peer-list">
        ${list.map((p) => html`<${Peer} key=${p.peerId} peer=${p} />`)}
      </ul>`
    }
    ${status.data?.peerId && html` <p class="muted small">This node's peer id: <code class="break">${status.data.peerId}</code></p>`}
  <//>`;
}
