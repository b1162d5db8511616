import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { EVENT_STREAM_PING_MS, MAX_UPLOAD_BYTES } from '../core/constants.js';
import { isKithError, KithError } from '../core/errors.js';
import { reasonOf } from '../core/log.js';
import { isoOf } from '../core/statement.js';
import type { Network } from '../node/network.js';
import type { KithService } from '../node/service.js';
import type { Interacted } from '../node/interactions.js';
import type { Preferences } from '../node/preferences.js';
import { AuthFailure, asAuthFailure, endSession, requireDevice, startSession, type AuthVariables } from './owner-auth.js';
import { EventHub } from './owner-events.js';
import { deviceView, mediaSrc, Views } from './owner-views.js';
import { peerViews } from './peer-views.js';
import { OPENAPI } from './openapi.js';
import { decoded, jsonBody, limitedBody, pageOf, pathParam, type C } from './http-input.js';
import type { ApId } from '../core/types.js';
import { errorBody, refusal } from './http-status.js';
import { postInput, profileInput, textField } from './request-fields.js';
import type { WebApp } from './web-static.js';
import { clientOf } from './client-address.js';
import { HostAllowlist } from './host-allowlist.js';
import { apiHeaders, hostGuard, webFiles } from './web-guards.js';
import { addReadingRoutes } from './reading-routes.js';
import { addContentRoutes } from './content-routes.js';
import { addFollowerRoutes } from './follower-routes.js';
import { addDirectMessageRoutes, dmMessageView } from './dm-routes.js';
import { addAccountRoutes } from './account-routes.js';
import { offerView } from './offer-view.js';
import { addForumRoutes } from './forum-routes.js';

/**
 * The owner API (`/api/…`) and the web app (`/`): what the owner's own
 * devices use. Documented in ./openapi.ts, served at /api/openapi.json.
 * Every operation is the application service's; this file reads requests
 * and shapes replies (people, posts and devices as ./owner-views.ts shows them).
 */

export interface OwnerApiOptions {
  readonly service: KithService;
  readonly web: WebApp;
  /** The address the API listens on (--api-host): a name given there is one it answers to. */
  readonly apiHost?: string;
  /** The secret the API's front thread relays requests with (see ./front-messages.ts). */
  readonly frontSecret?: string;
}

export interface OwnerApi {
  readonly app: Hono<{ Variables: AuthVariables }>;
  readonly events: EventHub;
  /** Lets the live event streams follow the network's sync progress and peer count. */
  attach(network: Network): void;
  close(): void;
}

/** Content types media is served as; anything else is a download, never rendered. */
const SERVE_TYPES = /^(image\/(png|jpeg|gif|webp|avif)|video\/(mp4|webm|quicktime)|audio\/(mpeg|ogg|mp4|wav|webm))$/;

export function createOwnerApi(opts: OwnerApiOptions): OwnerApi {
  const { service, web } = opts;
  const { node } = service;
  const events = new EventHub(node, service.devices.pairing, service.keys.reading);
  const app = new Hono<{ Variables: AuthVariables }>();
  const views = (): Views => new Views(node);
  // Read on every request (Host, proxies), so kept here and replaced when the owner changes them.
  let prefs: Preferences = service.settings();
  const stopPrefs = service.onPreferences((p) => (prefs = p));
  // A message someone wrote to the owner, opened here: the live event the apps tell of it by.
  const stopDms = service.dms.onMessage((m) => events.tell('dm', dmMessageView(m, views())));
  const stopReports = service.forumReports.onReceived((forum) => events.forumChanged(forum));
  const hosts = new HostAllowlist(opts.apiHost ?? '127.0.0.1', () => prefs.apiHosts);
  const client = (c: C) => clientOf(c, prefs.trustedProxies, opts.frontSecret);

  app.onError((err, c) => {
    if (err instanceof AuthFailure) return c.json(errorBody(err.code, err.message), 401);
    const { status, body } = refusal(err, service.log);
    return c.json(body, status as ContentfulStatusCode);
  });
  app.notFound((c) => c.json(errorBody('not-found', `no such endpoint: ${c.req.method} ${c.req.path.slice(0, 100)}`), 404));

  app.use('*', hostGuard(hosts));
  app.get('*', webFiles(web));
  app.use('/api/*', apiHeaders);
  app.use('/api/*', requireDevice(service.devices));

  app.get('/api/openapi.json', (c) => c.json(OPENAPI));

  // ---- Pairing and sessions ----
  app.post('/api/pair', async (c) => {
    const body = await jsonBody(c);
    const from = client(c);
    const r = await service.devices.pair({ code: body.code, name: body.name, publicKey: body.publicKey, signature: body.signature }, from.key);
    const reply = { device: deviceView(r.device, r.device.id), certificate: r.certificate.doc };
    if (body.bearer === true) return c.json({ ...reply, token: r.token }, 201);
    startSession(c, r.token, from.https);
    return c.json(reply, 201);
  });
  app.get('/api/session/challenge', (c) => {
    const ch = service.devices.challenge(client(c).key);
    return c.json({ nonce: ch.nonce, expires: isoOf(ch.expires) });
  });
  app.post('/api/session', async (c) => {
    const body = await jsonBody(c);
    const from = client(c);
    const r = asAuthFailure(() => service.devices.login({ publicKey: body.publicKey, nonce: body.nonce, signature: body.signature }, from.key));
    if (body.bearer === true) return c.json({ device: deviceView(r.device, r.device.id), token: r.token });
    startSession(c, r.token, from.https);
    return c.json({ device: deviceView(r.device, r.device.id) });
  });
  app.delete('/api/session', (c) => {
    service.devices.logout(c.get('token'));
    events.closeSession(c.get('token'));
    endSession(c);
    return c.json({ ok: true });
  });

  // ---- The owner and what they publish ----
  app.get('/api/me', (c) => c.json({ did: node.did, actor: views().person(node.did), device: deviceView(c.get('device'), c.get('device').id) }));
  app.get('/api/profile', (c) => c.json(views().person(node.did)));
  app.put('/api/profile', async (c) => {
    await service.publishing.updateProfile(profileInput(await jsonBody(c)));
    return c.json(views().person(node.did));
  });
  app.post('/api/posts', async (c) => {
    const r = await service.publishing.post(postInput(await jsonBody(c)));
    if (r.epoch !== undefined) {
      // A followers-only post: the scope holds its envelope; the owner sees it opened (publishing opened it).
      const opened = node.store.opened.byNote(r.noteId as ApId);
      return c.json({ post: (opened && views().post(opened)) ?? null }, 201);
    }
    const stored = node.store.objects.byDigest(r.digest);
    return c.json({ post: stored && views().post(stored) }, 201);
  });
  // Followers-only posts this person may read (their own and those of whom they follow), as this node opened them.
  app.get('/api/followers-only', (c) => {
    const v = views();
    return c.json({
      items: node.store.opened
        .page(pageOf(c))
        .map((p) => v.post(p))
        .filter((p) => p !== undefined),
    });
  });
  // A like or boost answers with the post as it is now (its counts, and that the owner did it); `activity` is what was signed.
  const interacted = (r: Interacted) => ({ post: views().find(r.post) ?? null, activity: r });
  app.post('/api/likes', async (c) => c.json(interacted(await service.interactions.like(textField(await jsonBody(c), 'id')))));
  app.delete('/api/likes', async (c) => c.json(interacted(await service.interactions.unlike(c.req.query('id') ?? ''))));
  app.post('/api/boosts', async (c) => c.json(interacted(await service.interactions.boost(textField(await jsonBody(c), 'id')))));
  app.delete('/api/boosts', async (c) => c.json(interacted(await service.interactions.unboost(c.req.query('id') ?? ''))));
  app.patch('/api/posts', async (c) => {
    const body = await jsonBody(c);
    return c.json(interacted(await service.interactions.edit(textField(body, 'id'), textField(body, 'text'))));
  });
  app.delete('/api/posts', async (c) => c.json({ activity: await service.interactions.delete(c.req.query('id') ?? '') }));
  app.post('/api/outbox', async (c) => c.json(await service.publishing.acceptSigned(await jsonBody(c)), 201));

  // ---- Reading ----
  addReadingRoutes(app, service.reading, views);
  app.post('/api/notifications/read', async (c) => {
    await jsonBody(c);
    return c.json(service.reading.markNotificationsRead());
  });

  // ---- Media ----
  app.post('/api/media', async (c) => {
    const mediaType = c.req.header('content-type') ?? '';
    const bytes = await limitedBody(c, MAX_UPLOAD_BYTES);
    const rawName = c.req.header('x-file-name');
    const a = await service.media.upload({ bytes, mediaType, name: rawName === undefined ? undefined : decoded(rawName, 'x-file-name') });
    return c.json({ attachment: { ...a, src: mediaSrc(String(a.url), a.mediaType) } }, 201);
  });
  // Fetching from peers pins content and takes storage: a change, so a POST; reading (below) never fetches.
  app.post('/api/media/fetch', async (c) => c.json(await service.media.fetch(textField(await jsonBody(c), 'urn'))));
  app.get('/api/media/:urn', async (c) => {
    let bytes: Uint8Array;
    try {
      bytes = await service.media.read(pathParam(c, 'urn'));
    } catch (e) {
      if (!isKithError(e, 'not-found')) throw e;
      throw new KithError('not-found', `${e.message}; POST /api/media/fetch with {"urn": …} fetches it from peers`);
    }
    const type = c.req.query('type') ?? '';
    const serveAs = SERVE_TYPES.test(type) ? type : 'application/octet-stream';
    c.header('content-security-policy', "default-src 'none'; sandbox");
    c.header('cache-control', 'private, max-age=31536000, immutable');
    if (serveAs === 'application/octet-stream') c.header('content-disposition', 'attachment');
    return c.body(new Uint8Array(bytes), 200, { 'content-type': serveAs });
  });

  // ---- People ----
  addFollowerRoutes(app, service, views);
  addDirectMessageRoutes(app, service, views);
  addForumRoutes(app, service);
  app.post('/api/follows', async (c) => {
    const r = await service.people.follow(textField(await jsonBody(c), 'target'));
    return c.json({ person: views().person(r.did), added: r.added, received: r.received });
  });
  app.delete('/api/follows/:did', (c) => c.json({ removed: service.people.unfollow(pathParam(c, 'did')).removed }));
  app.get('/api/blocks', (c) => {
    const v = views();
    return c.json({ blocked: service.people.blocked().map((did) => v.person(did)) });
  });
  app.post('/api/blocks', async (c) => {
    const did = service.people.block(textField(await jsonBody(c), 'did'));
    return c.json({ person: views().person(did) });
  });
  app.delete('/api/blocks/:did', (c) => c.json({ removed: service.people.unblock(pathParam(c, 'did')).removed }));

  // ---- Hosted accounts and node-root blocks ----
  addAccountRoutes(app, service, views, client);

  // ---- Search and petnames ----
  addContentRoutes(app, service, views);

  // ---- Devices ----
  app.get('/api/devices', (c) => c.json({ devices: service.devices.list().map((d) => deviceView(d, c.get('device').id)) }));
  app.post('/api/devices/pairing', async (c) => {
    await jsonBody(c);
    return c.json(await offerView(service.devices.offer(new URL(c.req.url).origin)), 201);
  });
  app.delete('/api/devices/:id', async (c) => {
    const device = await service.devices.revoke(c.req.param('id'), c.req.query('cutOff'));
    return c.json({ device: deviceView(device, c.get('device').id) });
  });

  // ---- The node ----
  app.get('/api/peers', (c) => c.json({ peers: peerViews(service.node, views(), service.peers()) }));
  app.get('/api/storage', (c) => c.json(service.storage()));
  app.get('/api/status', (c) => {
    const s = service.status();
    return c.json({
      did: s.did,
      peerId: s.peerId,
      objects: s.objects,
      connections: s.connections,
      syncing: s.syncing.map((p) => ({ active: true, ...p })),
      storage: s.storage,
    });
  });
  app.get('/api/settings', (c) => c.json(service.settings()));
  app.patch('/api/settings', async (c) => c.json(service.updateSettings(await jsonBody(c))));

  app.get('/api/events', (c) => {
    const device = c.get('device');
    const token = c.get('token');
    return streamSSE(c, async (stream) => {
      let done = false;
      const remove = events.add(
        device.id,
        token,
        (event, data) =>
          void stream
            .writeSSE({ event, data: JSON.stringify(data) })
            .catch((e: unknown) => service.log.debug(`a live ${event} event did not reach device ${device.id}: ${reasonOf(e)}`)),
        () => {
          done = true;
          void stream.close();
        },
      );
      stream.onAbort(() => {
        done = true;
        remove();
      });
      await stream.writeSSE({ event: 'hello', data: JSON.stringify({ device: device.id }) });
      while (!done) {
        // Unref'd: a stream waiting for its next ping must not hold a stopping node's process open (Hono's stream.sleep would, for up to a ping's wait).
        await new Promise<void>((resolve) => setTimeout(resolve, EVENT_STREAM_PING_MS).unref());
        if (done) break;
        // A session that expired or was dropped while the stream was open ends it here.
        try {
          service.devices.authenticate(token);
        } catch (e) {
          service.log.debug(`closing the live stream of device ${device.id}: ${reasonOf(e)}`);
          break;
        }
        await stream.writeSSE({ event: 'ping', data: '{}' });
      }
      remove();
    });
  });

  return {
    app,
    events,
    attach: (network) => events.attach(network),
    close: () => {
      stopPrefs();
      stopDms();
      stopReports();
      events.close();
    },
  };
}
