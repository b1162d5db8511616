// What a hosted account's device signs for the node after pairing: a new
// publish certificate (renewal), or a revocation taking the right back.

import { post, put } from './api.js';
import { loadDeviceKey } from './device-key.js';
import { publishCertificate, revokeSubject } from './proof.js';
import { auth } from './state.js';

/** The publish certificate's lifetime the node offers (ACCOUNT_PUBLISH_LIFETIME_MS). */
const PUBLISH_LIFETIME_MS = 30 * 24 * 3600_000;

async function accountKey() {
  const key = await loadDeviceKey();
  if (!key?.account) throw new Error('This browser holds no account key.');
  return key;
}

/** Signs a new publish certificate for the node's key, to `expires` (ms), and sends it; returns the account as the node now holds it. */
export async function renewPublishing(account, expires = Date.now() + PUBLISH_LIFETIME_MS) {
  const terms = { delegate: account.delegate, capability: ['publish'], resource: `ap://${account.did}`, expires: new Date(expires).toISOString() };
  const certificate = await publishCertificate(await accountKey(), terms);
  const r = await put('/api/account/publish-certificate', { certificate });
  auth.set({ account: r.account });
  return r.account;
}

/** Revokes every certificate the account gave the node's key: the node can post for it no more. */
export async function revokePublishing(account) {
  return post('/api/account/revocations', { revocation: await revokeSubject(await accountKey(), account.delegate) });
}
