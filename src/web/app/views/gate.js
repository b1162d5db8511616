import { html } from 'htm/preact';
import { useAction, useStore, useTitle } from '../hooks.js';
import { auth } from '../state.js';
import { logInAgain, retryConnect } from '../session.js';
import { focusHeadingSoon } from '../router.js';
import { Alert } from '../components/alert.js';

/** A screen that stands alone, outside the app's layout: pairing, logging in, and what stops the app. */
export function Gate({ screen, title, children }) {
  useTitle(title);
  return html` <main id="main" class="gate" tabindex="-1">
    <div class="screen card gate-card" data-screen=${screen}>
      <img class="gate-logo" src="/icon.svg" alt="" width="56" height="56" />
      <h1>${title}</h1>
      ${children}
    </div>
  </main>`;
}

export function Loading() {
  return html`<main id="main" class="gate" tabindex="-1"><p class="boot" role="status">Loading Kith…</p></main>`;
}

export function Insecure() {
  return html`<${Gate} screen="unsupported" title="This page needs a secure connection">
    <${Alert} message="Browsers only let a page keep a device key when it is opened over https:// or on localhost." />
    <p>Open Kith through an https:// address for your node, or on the computer running it at http://localhost.</p>
  <//>`;
}

export function Unsupported() {
  return html`<${Gate} screen="unsupported" title="This browser is too old for Kith">
    <${Alert} message="This browser can't make Ed25519 keys (WebCrypto), which Kith uses to pair devices." />
    <p>Update it, or use a recent version of Chrome, Edge, Firefox or Safari.</p>
  <//>`;
}

export function Offline() {
  const { notice } = useStore(auth);
  const retry = useAction(retryConnect);
  return html`<${Gate} screen="offline" title="Can't reach your node">
    <${Alert} message=${retry.error || notice || "Your Kith node didn't answer."} />
    <p>Check that it is running and that this device is on a network that can reach it.</p>
    <button type="button" class="button button--primary" onClick=${retry.run} disabled=${retry.busy}>Try again</button>
  <//>`;
}

export function LoggedOut() {
  const login = useAction(async () => {
    await logInAgain();
    location.replace('#/');
    focusHeadingSoon();
  });
  return html`<${Gate} screen="logged-out" title="You're logged out">
    <p>This device is still paired with your node. Log in again whenever you like.</p>
    <${Alert} message=${login.error} />
    <button type="button" class="button button--primary button--wide" data-testid="login" onClick=${login.run} disabled=${login.busy}>
      ${login.busy ? 'Logging in…' : 'Log in'}
    </button>
  <//>`;
}
