import { html } from 'htm/preact';
import { useState } from 'preact/hooks';
import { get, patch } from '../../api.js';
import { Alert, errorText } from '../../components/alert.js';
import { Section, useLoad } from './section.js';

export function Preferences() {
  const settings = useLoad(() => get('/api/settings'));
  const [days, setDays] = useState(null);
  const [saved, setSaved] = useState('');
  const [error, setError] = useState('');
  const s = settings.data;

  async function save(change) {
    setError('');
    setSaved('');
    try {
      settings.setData(await patch('/api/settings', change));
      setDays(null);
      setSaved('Saved.');
    } catch (e) {
      setError(errorText(e));
    }
  }

  function saveDays(e) {
    const n = Number(e.currentTarget.value);
    if (!Number.isInteger(n) || n < 1 || n > 730) {
      setError('Choose a whole number of days from 1 to 730.');
      return;
    }
    if (n !== s.deviceLifetimeDays) save({ deviceLifetimeDays: n });
  }

  return html` <${Section} id="preferences" title="Preferences">
    <${Alert} message=${settings.error || error} />
    ${
      s &&
      html` <form
        class="form"
        onSubmit=${(e) => {
          e.preventDefault();
          saveDays({ currentTarget: e.currentTarget.elements.lifetime });
        }}
      >
        <div class="check">
          <input
            type="checkbox"
            id="pref-media"
            checked=${s.keepFollowedMedia}
            data-testid="pref-keep-media"
            onChange=${(e) => save({ keepFollowedMedia: e.currentTarget.checked })}
          />
          <label for="pref-media">Keep media of people I follow</label>
        </div>
        <div class="check">
          <input
            type="checkbox"
            id="pref-discoverable"
            checked=${s.discoverable}
            data-testid="pref-discoverable"
            onChange=${(e) => save({ discoverable: e.currentTarget.checked })}
          />
          <label for="pref-discoverable">Let devices on this network find this node</label>
        </div>
        <div class="check">
          <input
            type="checkbox"
            id="pref-filter-strangers"
            checked=${s.filterStrangers}
            data-testid="pref-filter-strangers"
            onChange=${(e) => save({ filterStrangers: e.currentTarget.checked })}
          />
          <label for="pref-filter-strangers">Keep notifications from people I don't know apart</label>
        </div>
        <div class="check">
          <input type="checkbox" id="pref-locked" checked=${s.locked} data-testid="pref-locked" onChange=${(e) => save({ locked: e.currentTarget.checked })} />
          <label for="pref-locked">Locked account: approve each follower myself</label>
        </div>
        <div class="field field--inline">
          <label for="pref-lifetime">New devices stay paired for (days)</label>
          <input
            type="number"
            id="pref-lifetime"
            name="lifetime"
            min="1"
            max="730"
            step="1"
            inputmode="numeric"
            data-testid="pref-lifetime"
            value=${days ?? s.deviceLifetimeDays}
            onInput=${(e) => setDays(e.currentTarget.value)}
            onChange=${saveDays}
          />
        </div>
        <p class="muted small" role="status">${saved}</p>
      </form>`
    }
  <//>`;
}
