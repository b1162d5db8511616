import { html } from 'htm/preact';
import { useEffect, useRef, useState } from 'preact/hooks';
import { del, deviceRemoved, get, post, REVOKED_NOTICE } from '../../api.js';
import { countdown, mediumTime } from '../../format.js';
import { useNow } from '../../hooks.js';
import { announce } from '../../state.js';
import { Alert, errorText } from '../../components/alert.js';
import { Time } from '../../components/time.js';
import { Section, useArrival, useLoad } from './section.js';

/** A code waiting for a device: the code, its QR code and link, and how long it lasts. Hosted accounts show theirs with it too. */
export function PairingPanel({
  pairing,
  onClose,
  intro = 'On the new device, open this app and enter the code, or scan the QR code with its camera.',
  expired = 'This code has expired. Make a new one to pair a device.',
  testid = 'pairing',
}) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  const left = countdown(pairing.expires, now);
  const qr = pairing.qrSvg ? `data:image/svg+xml;charset=utf-8,${encodeURIComponent(pairing.qrSvg)}` : '';
  return html` <div class="pairing-panel" data-testid=${`${testid}-panel`}>
    <p>${intro}</p>
    <p class="pairing-code" data-testid=${`${testid}-code`} aria-label=${`Pairing code ${pairing.code.split('').join(' ')}`}>${pairing.code}</p>
    ${qr && html`<img class="pairing-qr" src=${qr} alt="QR code for pairing" width="220" height="220" />`}
    ${
      pairing.url &&
      html`<p class="pairing-url">Or open <a href=${pairing.url} target="_blank" rel="noopener" data-testid=${`${testid}-link`}>${pairing.url}</a> there.</p>`
    }
    <p class=${left ? 'muted' : 'warning'}>${left ? html`Expires in ${left} (at ${mediumTime(pairing.expires)}).` : expired}</p>
    <button type="button" class="button" onClick=${onClose}>Done</button>
  </div>`;
}

export function Devices() {
  const devices = useLoad(() => get('/api/devices').then((r) => r.devices));
  const [pairing, setPairing] = useState(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const pairButton = useRef(null);
  useNow();

  const active = (devices.data ?? [])
    .filter((d) => !d.revoked)
    .sort((a, b) => b.current - a.current || String(b.lastSeen ?? '').localeCompare(String(a.lastSeen ?? '')));

  useArrival(
    pairing,
    active,
    (d) => d.id,
    devices.reload,
    (added) => {
      setPairing(null);
      announce(`${added.name} is now paired.`);
    },
  );

  async function startPairing() {
    setBusy(true);
    setError('');
    try {
      setPairing(await post('/api/devices/pairing', {}));
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  async function remove(d) {
    const question = d.current
      ? 'Remove this device? It will be logged out, and you will need to pair it again to use Kith here.'
      : `Remove “${d.name}”? It stops working at once.`;
    if (!confirm(question)) return;
    setError('');
    try {
      await del(`/api/devices/${encodeURIComponent(d.id)}`);
      if (d.current) {
        await deviceRemoved(REVOKED_NOTICE);
        return;
      }
      announce(`${d.name} was removed.`);
      devices.reload();
    } catch (e) {
      setError(errorText(e));
    }
  }

  function closePairing() {
    setPairing(null);
    requestAnimationFrame(() => pairButton.current?.focus());
  }

  return html` <${Section} id="devices" title="Devices">
    <p class="muted">Browsers and apps that can use your node.</p>
    <${Alert} message=${devices.error || error} />
    ${!devices.data && !devices.error && html`<p class="muted">Loading…</p>`}
    <ul class="device-list">
      ${active.map(
        (d) =>
          html` <li key=${d.id} class="device" data-testid="device" data-id=${d.id} data-current=${d.current ? 'true' : 'false'}>
            <div class="device-main">
              <p class="device-name"><strong>${d.name}</strong>${d.current && html` <span class="badge">This device</span>`}</p>
              <dl class="meta">
                <div>
                  <dt>Added</dt>
                  <dd>${mediumTime(d.created)}</dd>
                </div>
                <div>
                  <dt>Expires</dt>
                  <dd>${mediumTime(d.expires)}</dd>
                </div>
                <div>
                  <dt>Last seen</dt>
                  <dd>${d.lastSeen ? html`<${Time} iso=${d.lastSeen} ago=${true} />` : 'Never'}</dd>
                </div>
              </dl>
            </div>
            <button
              type="button"
              class="button button--danger button--small"
              data-testid="device-remove"
              aria-label=${`Remove ${d.name}`}
              onClick=${() => remove(d)}
            >
              Remove
            </button>
          </li>`,
      )}
    </ul>
    ${
      pairing
        ? html`<${PairingPanel} pairing=${pairing} onClose=${closePairing} />`
        : html`<button type="button" ref=${pairButton} class="button button--primary" data-testid="pair-device" onClick=${startPairing} disabled=${busy}>
            ${busy ? 'Making a code…' : 'Pair a device'}
          </button>`
    }
  <//>`;
}
