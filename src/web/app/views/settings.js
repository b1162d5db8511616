import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { useTitle } from '../hooks.js';
import { logOut } from '../session.js';
import { Alert, errorText } from '../components/alert.js';
import { Devices } from './settings/devices.js';
import { Accounts } from './settings/accounts.js';
import { Peers } from './settings/network.js';
import { Storage } from './settings/storage.js';
import { Blocks } from './settings/blocks.js';
import { BlockedRoots } from './settings/blocked-roots.js';
import { Following } from './settings/following.js';
import { Followers } from './settings/followers.js';
import { Preferences } from './settings/preferences.js';
import { WebAccess } from './settings/web-access.js';
import { Section } from './settings/section.js';

function Session() {
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  async function out() {
    setBusy(true);
    try {
      await logOut();
    } catch (e) {
      setError(errorText(e));
      setBusy(false);
    }
  }
  return html` <${Section} id="session" title="This device">
    <p class="muted">Logging out keeps this device paired: you can log in again here without a code. To stop it working altogether, remove it under Devices.</p>
    <${Alert} message=${error} />
    <button type="button" class="button" data-testid="logout" onClick=${out} disabled=${busy}>Log out on this device</button>
  <//>`;
}

export function Settings() {
  useTitle('Settings');
  // A link may name a section (#/settings?section=followers, from the profile): show it.
  useEffect(() => {
    const section = new URLSearchParams(location.hash.split('?')[1] ?? '').get('section');
    if (section) document.getElementById(section)?.scrollIntoView();
  }, []);
  return html` <div class="screen" data-screen="settings">
    <h1 tabindex="-1">Settings</h1>
    <${Devices} />
    <${Accounts} />
    <${Preferences} />
    <${Followers} />
    <${Following} />
    <${Peers} />
    <${WebAccess} />
    <${Storage} />
    <${Blocks} />
    <${BlockedRoots} />
    <${Session} />
  </div>`;
}
