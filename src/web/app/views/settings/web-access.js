import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { get, patch } from '../../api.js';
import { Alert, errorText } from '../../components/alert.js';
import { Section, useLoad } from './section.js';

/** A list as the owner types it: names or addresses apart by spaces or commas. */
function entries(text) {
  return text
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Which names this web app answers to and which reverse proxies it believes.
 * The node refuses any other Host (so a web page cannot reach it by DNS
 * rebinding); a name added here must be added from a name that works already.
 */
export function WebAccess() {
  const settings = useLoad(() => get('/api/settings'));
  const [draft, setDraft] = useState(null);
  const [saved, setSaved] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const s = settings.data;
  const shown = draft ?? (s && { apiHosts: s.apiHosts.join(' '), trustedProxies: s.trustedProxies.join(' ') });

  async function save(e) {
    e.preventDefault();
    setError('');
    setSaved('');
    setBusy(true);
    try {
      settings.setData(await patch('/api/settings', { apiHosts: entries(shown.apiHosts), trustedProxies: entries(shown.trustedProxies) }));
      setDraft(null);
      setSaved('Saved.');
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  const edit = (key) => (e) => setDraft({ ...shown, [key]: e.currentTarget.value });

  return html` <${Section} id="web-access" title="Web access">
    <${Alert} message=${settings.error || error} />
    ${
      shown &&
      html` <form class="form" onSubmit=${save}>
        <p class="muted small">
          This node answers on its own addresses, this machine's name and its .local name. Add any other name you reach it by, such as a name on your home
          network.
        </p>
        <div class="field">
          <label for="web-hosts">Other names for this node</label>
          <input
            type="text"
            id="web-hosts"
            autocomplete="off"
            spellcheck="false"
            autocapitalize="none"
            placeholder="kith.home pi.lan"
            data-testid="web-hosts"
            value=${shown.apiHosts}
            onInput=${edit('apiHosts')}
          />
        </div>
        <div class="field">
          <label for="web-proxies">Reverse proxies to trust (IP addresses)</label>
          <input
            type="text"
            id="web-proxies"
            autocomplete="off"
            spellcheck="false"
            inputmode="url"
            placeholder="127.0.0.1"
            aria-describedby="web-proxies-help"
            data-testid="web-proxies"
            value=${shown.trustedProxies}
            onInput=${edit('trustedProxies')}
          />
          <p class="muted small" id="web-proxies-help">Only these may tell the node a visitor's address and that the visit came over https.</p>
        </div>
        <button type="submit" class="button" data-testid="web-access-save" disabled=${busy || draft === null}>Save</button>
        <p class="muted small" role="status">${saved}</p>
      </form>`
    }
  <//>`;
}
