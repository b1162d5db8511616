import type { Hono } from 'hono';
import { isoOf } from '../core/statement.js';
import type { KithService } from '../node/service.js';
import type { HostedAccount } from '../store/hosted-accounts.js';
import { startSession, type AuthVariables } from './owner-auth.js';
import { deviceView, type Views } from './owner-views.js';
import { offerView } from './offer-view.js';
import { jsonBody, nextOf, pageOf, pathParam, type C } from './http-input.js';
import { optionalText, postInput, textField } from './request-fields.js';

/**
 * Owner API routes for hosted accounts and node-root blocks (documented in
 * ./openapi.ts). The owner's devices list, add and remove accounts and block
 * roots; a hosted person's device pairs through the two public routes and
 * then calls /api/account/… only (./owner-auth.ts confines its session),
 * always as its own account. The rules are the service's (node/accounts.ts,
 * node/root-blocks.ts).
 */

export interface ClientOf {
  (c: C): { key: string; https: boolean };
}

export function addAccountRoutes(app: Hono<{ Variables: AuthVariables }>, service: KithService, views: () => Views, client: ClientOf): void {
  const { accounts } = service;
  const account = (c: C): HostedAccount => accounts.accountOf(c.get('device'));

  // ---- The owner: accounts this node hosts ----
  app.get('/api/accounts', (c) => c.json({ accounts: accounts.list() }));
  app.post('/api/accounts', async (c) => {
    return c.json(await offerView(accounts.offer(textField(await jsonBody(c), 'name'), new URL(c.req.url).origin)), 201);
  });
  app.delete('/api/accounts/:did', async (c) => c.json({ account: await accounts.remove(pathParam(c, 'did')) }));

  // ---- The owner: node roots blocked ----
  app.get('/api/blocked-roots', (c) => c.json({ roots: service.rootBlocks.list().map((b) => ({ ...b, since: isoOf(b.since) })) }));
  app.post('/api/blocked-roots', async (c) => c.json(service.rootBlocks.block(textField(await jsonBody(c), 'did'))));
  app.delete('/api/blocked-roots/:did', (c) => c.json(service.rootBlocks.unblock(pathParam(c, 'did'))));

  // ---- A hosted person's device: pairing ----
  app.post('/api/accounts/claim', async (c) => {
    const b = await jsonBody(c);
    return c.json(accounts.claim({ code: b.code, publicKey: b.publicKey, signature: b.signature }, client(c).key));
  });
  app.post('/api/accounts/pair', async (c) => {
    const b = await jsonBody(c);
    const from = client(c);
    const r = await accounts.pair({ code: b.code, publicKey: b.publicKey, signature: b.signature, certificate: b.certificate }, from.key);
    const reply = { account: r.account, device: deviceView(r.device, r.device.id) };
    if (b.bearer === true) return c.json({ ...reply, token: r.token }, 201);
    startSession(c, r.token, from.https);
    return c.json(reply, 201);
  });

  // ---- A hosted person's device: its account ----
  app.get('/api/account', async (c) => {
    const status = await accounts.checkIn(account(c));
    const device = service.node.store.devices.get(c.get('device').id) ?? c.get('device');
    return c.json({ account: status, device: deviceView(device, device.id) });
  });
  app.get('/api/account/posts', (c) => {
    const page = pageOf(c);
    const rows = accounts.posts(account(c), page);
    return c.json({ items: views().posts(rows), next: nextOf(rows, page) });
  });
  app.post('/api/account/posts', async (c) => {
    const r = await accounts.post(account(c), postInput(await jsonBody(c)));
    const stored = service.node.store.objects.byDigest(r.digest);
    return c.json({ post: stored && views().post(stored) }, 201);
  });
  app.get('/api/account/timeline', (c) => {
    const page = pageOf(c);
    const rows = accounts.timeline(account(c), page);
    return c.json({ items: views().posts(rows), next: nextOf(rows, page) });
  });
  app.get('/api/account/follows', (c) => c.json({ follows: accounts.following(account(c)) }));
  app.post('/api/account/follows', async (c) => c.json(await accounts.follow(account(c), textField(await jsonBody(c), 'target'))));
  app.delete('/api/account/follows/:did', (c) => c.json(accounts.unfollow(account(c), pathParam(c, 'did'))));
  // ---- A hosted person's device: forums, as the account (node/account-forums.ts) ----
  const forums = service.accountForums;
  app.get('/api/account/forums', (c) => c.json({ forums: forums.list(account(c)) }));
  app.post('/api/account/forums/:did/join', async (c) => {
    const a = account(c);
    const b = await jsonBody(c);
    const via = optionalText(b, 'via');
    const token = optionalText(b, 'token');
    return c.json(await forums.join(a, pathParam(c, 'did'), { ...(via === undefined ? {} : { via }), ...(token === undefined ? {} : { token }) }));
  });
  app.get('/api/account/forums/:did/posts', (c) => {
    account(c);
    return c.json({ posts: forums.read(pathParam(c, 'did')) });
  });
  app.post('/api/account/forums/:did/posts', async (c) => {
    const a = account(c);
    const b = await jsonBody(c);
    return c.json(await forums.post(a, pathParam(c, 'did'), textField(b, 'text'), optionalText(b, 'inReplyTo')));
  });
  app.put('/api/account/publish-certificate', async (c) => c.json({ account: await accounts.renew(account(c), (await jsonBody(c)).certificate) }));
  app.post('/api/account/revocations', async (c) => c.json(await accounts.revoke(account(c), (await jsonBody(c)).revocation), 201));
}
