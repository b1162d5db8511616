import { Hono } from 'hono';
import { streamSSE } from 'hono/streaming';
import { statSync } from 'node:fs';
import QRCode from 'qrcode';
import { fail, isKithError, KithError } from '../core/errors.js';
import { parseDid } from '../core/didkey.js';
import { isApId, apIdKey, outboxId } from '../core/apid.js';
import { parseErisUrn } from '../core/eris.js';
import { isoOf } from '../core/statement.js';
import type { Digest, JsonObject } from '../core/types.js';
import { textToHtml } from '../core/as2.js';
import type { KithNode } from '../node/kith-node.js';
import type { Network } from '../node/network.js';
import type { DevicePairing } from '../node/devices.js';
import { attachBytes, checkAttachments, readContent } from '../node/media.js';
import { loadPreferences, updatePreferences, type Preferences } from '../node/preferences.js';
import { normalizePairingCode } from '../core/pairing.js';
import { asAuthFailure, AuthFailure, endSession, requireDevice, startSession, type AuthVariables } from './owner-auth.js';
import { EventHub } from './owner-events.js';
import { deviceView, Views, type PostView } from './owner-views.js';
import { attachmentsInput } from './attachment-input.js';
import { peerViews } from './peer-views.js';
import { OPENAPI } from './openapi.js';
import { STATUS, decoded, didParam, jsonBody, limitedBody, nextOf, optionalText, pageOf, type C } from './http-input.js';
import type { WebApp } from './web-static.js';

/**
 * The owner API (`/api/…`) and the web app (`/`): what the owner's own
 * devices use. Documented in ./openapi.ts, served at /api/openapi.json.
 */

export interface OwnerApiOptions {
  readonly node: KithNode;
  readonly devices: DevicePairing;
  readonly web: WebApp;
  /** How the web app is reached from other devices, for pairing links (`kith pair`). */
  readonly publicUrl: () => string;
}

export type PreferencesListener = (p: Preferences) => void;

export interface OwnerApi {
  readonly app: Hono<{ Variables: AuthVariables }>;
  readonly events: EventHub;
  attach(network: Network): void;
  /** Called after the owner changes their settings, so the node can apply them at once. */
  onPreferences(fn: PreferencesListener): void;
  /** A pairing code with its link and QR code, for `kith pair` and the web app. */
  pairingOffer(baseUrl?: string): Promise<JsonObject>;
  close(): void;
}

const MAX_MEDIA_BYTES = 16 * 1024 * 1024;
const MAX_TEXT = 5000;
const UPLOAD_TYPES = /^(image\/(png|jpeg|gif|webp|avif)|video\/(mp4|webm)|audio\/(mpeg|ogg|mp4|wav|webm))$/;
const SERVE_TYPES = /^(image\/(png|jpeg|gif|webp|avif)|video\/(mp4|webm|quicktime)|audio\/(mpeg|ogg|mp4|wav|webm))$/;
const SSE_PING_MS = 25_000;

export function createOwnerApi(opts: OwnerApiOptions): OwnerApi {
  const { node, devices, web } = opts;
  const events = new EventHub(node, devices);
  let network: Network | undefined;
  const app = new Hono<{ Variables: AuthVariables }>();

  const push = async (digest: Digest): Promise<number> => (network ? network.push(digest) : 0);

  const pairingOffer = async (baseUrl = opts.publicUrl()): Promise<JsonObject> => {
    const offer = devices.offer();
    const url = `${baseUrl.replace(/\/$/, '')}/#pair=${normalizePairingCode(offer.code)}`;
    const qrSvg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
    return { code: offer.code, url, expires: isoOf(offer.expires), qrSvg };
  };

  app.onError((err, c) => {
    if (err instanceof AuthFailure) return c.json({ error: { code: err.code, message: err.message } }, 401);
    if (err instanceof KithError) {
      return c.json({ error: { code: err.code, message: err.message } }, (STATUS[err.code] ?? 400) as 400);
    }
    return c.json({ error: { code: 'internal', message: 'the node hit an unexpected error; see its log' } }, 500);
  });
  app.notFound((c) => c.json({ error: { code: 'not-found', message: `no such endpoint: ${c.req.method} ${c.req.path.slice(0, 100)}` } }, 404));

  // ---- The web app ----
  const securityHeaders = (c: C): void => {
    c.header('x-content-type-options', 'nosniff');
    c.header('referrer-policy', 'no-referrer');
    c.header('x-frame-options', 'DENY');
  };
  app.get('*', async (c, next) => {
    if (c.req.path.startsWith('/api/')) return next();
    const f = web.files.get(c.req.path);
    if (!f) return next();
    securityHeaders(c);
    if (f.type.startsWith('text/html')) c.header('content-security-policy', web.csp);
    c.header('etag', f.etag);
    c.header('cache-control', 'no-cache');
    if (c.req.header('if-none-match') === f.etag) return c.body(null, 304);
    return c.body(new Uint8Array(f.body), 200, { 'content-type': f.type });
  });

  // ---- API ----
  app.use('/api/*', async (c, next) => {
    securityHeaders(c);
    c.header('cache-control', 'no-store');
    await next();
  });
  app.use('/api/*', requireDevice(devices));

  app.get('/api/openapi.json', (c) => c.json(OPENAPI));

  app.post('/api/pair', async (c) => {
    const body = await jsonBody(c);
    const r = devices.pair({ code: body.code, name: body.name, publicKey: body.publicKey, signature: body.signature });
    await push(r.certificate.digest);
    if (body.bearer === true) return c.json({ device: deviceView(r.device, r.device.id), certificate: r.certificate.doc, token: r.token }, 201);
    startSession(c, r.token);
    return c.json({ device: deviceView(r.device, r.device.id), certificate: r.certificate.doc }, 201);
  });
  app.get('/api/session/challenge', (c) => {
    const ch = devices.challenge();
    return c.json({ nonce: ch.nonce, expires: isoOf(ch.expires) });
  });
  app.post('/api/session', async (c) => {
    const body = await jsonBody(c);
    const r = asAuthFailure(() => devices.login({ publicKey: body.publicKey, nonce: body.nonce, signature: body.signature }));
    if (body.bearer === true) return c.json({ device: deviceView(r.device, r.device.id), token: r.token });
    startSession(c, r.token);
    return c.json({ device: deviceView(r.device, r.device.id) });
  });
  app.delete('/api/session', (c) => {
    devices.logout(c.get('token'));
    endSession(c);
    return c.json({ ok: true });
  });

  app.get('/api/me', (c) => {
    const views = new Views(node);
    return c.json({ did: node.did, actor: views.person(node.did), device: deviceView(c.get('device'), c.get('device').id) });
  });
  app.get('/api/profile', (c) => c.json(new Views(node).person(node.did)));
  app.put('/api/profile', async (c) => {
    const body = await jsonBody(c);
    for (const k of Object.keys(body)) if (!['name', 'summary', 'icon'].includes(k)) fail('malformed', `"${k.slice(0, 40)}" is not a profile field; use name, summary or icon`);
    const name = optionalText(body.name, 'name', 100);
    const summary = optionalText(body.summary, 'summary', 2000);
    let icon: JsonObject | null | undefined;
    if (body.icon === null) icon = null;
    else if (body.icon !== undefined) {
      const [a] = checkAttachments([body.icon]);
      if (!String(a!.mediaType).startsWith('image/')) fail('malformed', 'icon must be an image');
      const { src: _src, ...plain } = a!;
      icon = plain;
    }
    const r = node.updateProfile({
      ...(name !== undefined ? { name } : {}),
      // AS2 summaries are HTML; what a person types is text.
      ...(summary !== undefined ? { summary: summary === '' ? '' : textToHtml(summary) } : {}),
      ...(icon !== undefined ? { icon: icon as JsonObject } : {}),
    });
    await push(r.digest);
    return c.json(new Views(node).person(node.did));
  });

  app.get('/api/timeline', (c) => {
    const page = pageOf(c);
    const rows = node.timeline(page);
    return c.json({ items: new Views(node).posts(rows), next: nextOf(rows, page) });
  });

  app.post('/api/posts', async (c) => {
    const body = await jsonBody(c);
    const text = body.text;
    if (typeof text !== 'string' || text.trim().length === 0 || text.length > MAX_TEXT) fail('malformed', `text must be 1 to ${MAX_TEXT} characters`);
    const inReplyTo = body.inReplyTo;
    if (inReplyTo !== undefined && inReplyTo !== null && !isApId(inReplyTo)) fail('malformed', 'inReplyTo must be an ap:// id');
    const attachment = attachmentsInput(body.attachment);
    const r = node.post({ text, ...(typeof inReplyTo === 'string' ? { inReplyTo: apIdKey(inReplyTo) } : {}), ...(attachment ? { attachment } : {}) });
    await push(r.digest);
    const stored = node.store.objects.byDigest(r.digest);
    return c.json({ post: stored && new Views(node).post(stored) }, 201);
  });

  // FEP-ae97: an activity signed on the device (by a paired device's key, or the owner's), taken as it is.
  app.post('/api/outbox', async (c) => {
    const body = await jsonBody(c);
    const checked = node.check(body);
    if (checked.owner !== node.did) fail('unauthorized', `this outbox takes activities of ${node.did} only, not of ${checked.owner}`);
    const r = node.ingest(body);
    await push(r.digest);
    return c.json({ id: r.id, digest: r.digest, status: r.status }, 201);
  });

  app.get('/api/thread', (c) => {
    const raw = c.req.query('id');
    if (!isApId(raw)) fail('malformed', 'id must be an ap:// id');
    const id = apIdKey(raw);
    const views = new Views(node);
    const find = (key: string): PostView | undefined => {
      const o = node.store.objects.byId(key as never) ?? node.store.objects.carrierOf(key as never);
      return o ? views.post(o) : undefined;
    };
    const post = find(id);
    if (!post) fail('not-found', 'this node does not hold that post (follow its author to get their posts)');
    const ancestors: PostView[] = [];
    let up = post.inReplyTo;
    while (up && isApId(up) && ancestors.length < 20) {
      const p = find(apIdKey(up));
      if (!p) break;
      ancestors.unshift(p);
      up = p.inReplyTo;
    }
    return c.json({ ancestors, post, replies: views.posts(node.store.links.replies(id)) });
  });

  app.post('/api/media', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (!UPLOAD_TYPES.test(type)) fail('malformed', `files of type "${type.slice(0, 60)}" are not taken; send an image, video or audio file with its content-type`);
    const bytes = await limitedBody(c, MAX_MEDIA_BYTES);
    if (bytes.length === 0) fail('malformed', 'the file is empty');
    const rawName = c.req.header('x-file-name');
    const name = rawName === undefined ? undefined : decoded(rawName, 'x-file-name').replace(/[\\/\u0000-\u001f]/g, '_').slice(0, 200);
    const a = await attachBytes(node.store, bytes, type, name);
    return c.json({ attachment: { ...a, src: `/api/media/${encodeURIComponent(String(a.url))}?type=${encodeURIComponent(type)}` } }, 201);
  });
  app.get('/api/media/:urn', async (c) => {
    const urn = decoded(c.req.param('urn'), 'urn');
    parseErisUrn(urn);
    const read = async (): Promise<Uint8Array> => {
      const chunks: Uint8Array[] = [];
      for await (const chunk of readContent(node.store, urn)) chunks.push(chunk);
      return Buffer.concat(chunks);
    };
    let bytes: Uint8Array;
    try {
      bytes = await read();
    } catch (e) {
      // Not held here yet: fetch the blocks from whoever provides them, then read again.
      if (!isKithError(e, 'not-found') || !network) throw e;
      await network.fetchContent(urn);
      bytes = await read();
    }
    const type = c.req.query('type') ?? '';
    const serveAs = SERVE_TYPES.test(type) ? type : 'application/octet-stream';
    c.header('content-security-policy', "default-src 'none'; sandbox");
    c.header('cache-control', 'private, max-age=31536000, immutable');
    if (serveAs === 'application/octet-stream') c.header('content-disposition', 'attachment');
    return c.body(new Uint8Array(bytes), 200, { 'content-type': serveAs });
  });

  app.get('/api/people/:did', (c) => {
    const did = didParam(c);
    const page = pageOf(c);
    const rows = node.store.objects.outboxPage(outboxId(did), page);
    const views = new Views(node);
    return c.json({ person: views.person(did), items: views.posts(rows), next: nextOf(rows, page) });
  });

  app.get('/api/follows', (c) => {
    const views = new Views(node);
    return c.json({ following: node.following().map((f) => views.person(f.did)) });
  });
  app.post('/api/follows', async (c) => {
    const body = await jsonBody(c);
    const target = body.target;
    if (typeof target !== 'string' || target.trim().length === 0 || target.length > 2048) fail('malformed', 'target must be a did:key, an ap:// actor id or a peer address');
    if (network) {
      const r = await network.follow(target.trim());
      const received = r.synced.reduce((n, s) => n + (s.result?.stored ?? 0), 0);
      return c.json({ person: new Views(node).person(r.did), added: r.added, received });
    }
    const did = parseDid(target.trim());
    const added = node.follow(did);
    return c.json({ person: new Views(node).person(did), added, received: 0 });
  });
  app.delete('/api/follows/:did', (c) => {
    const did = didParam(c);
    return c.json({ removed: network ? network.unfollow(did) : node.unfollow(did) });
  });

  const SEEN = 'notifications.seen';
  const seen = (): number => Number(node.store.settings.get(SEEN) ?? 0);
  app.get('/api/notifications', (c) => {
    const page = pageOf(c);
    const rows = node.store.links.addressedTo(node.did, page);
    const views = new Views(node);
    const since = seen();
    const items = rows.flatMap((r) => {
      const post = views.post(r);
      return post ? [views.notification(r.kind, post, r.created > since)] : [];
    });
    return c.json({ items, unread: node.store.links.unread(node.did, since), next: nextOf(rows, page) });
  });
  app.post('/api/notifications/read', async (c) => {
    await jsonBody(c);
    node.store.settings.set(SEEN, String(Date.now()));
    return c.json({ unread: node.store.links.unread(node.did, seen()) });
  });

  app.get('/api/blocks', (c) => {
    const views = new Views(node);
    return c.json({ blocked: node.store.blockedPeople.list().map((b) => views.person(b.did)) });
  });
  app.post('/api/blocks', async (c) => {
    const body = await jsonBody(c);
    const did = parseDid(body.did);
    if (network) network.unfollow(did);
    node.block(did);
    return c.json({ person: new Views(node).person(did) });
  });
  app.delete('/api/blocks/:did', (c) => c.json({ removed: node.unblock(didParam(c)) }));

  app.get('/api/devices', (c) => c.json({ devices: devices.list().map((d) => deviceView(d, c.get('device').id)) }));
  app.post('/api/devices/pairing', async (c) => {
    await jsonBody(c);
    return c.json(await pairingOffer(new URL(c.req.url).origin), 201);
  });
  app.delete('/api/devices/:id', async (c) => {
    const id = c.req.param('id');
    if (!/^[0-9a-f]{12}$/.test(id)) fail('malformed', 'a device id is 12 hexadecimal characters');
    const { device, revocation } = devices.revoke(id);
    await push(revocation.digest);
    return c.json({ device: deviceView(device, c.get('device').id) });
  });

  app.get('/api/peers', (c) => c.json({ peers: peerViews(node, new Views(node), network?.peers() ?? []) }));
  const storage = (): JsonObject => {
    let databaseBytes = 0;
    for (const suffix of ['', '-wal']) {
      try {
        databaseBytes += statSync(node.home.database + suffix).size;
      } catch {
        // no WAL file yet
      }
    }
    return { objects: node.store.objects.count(), databaseBytes, blocks: node.store.blocks.usage() as unknown as JsonObject };
  };
  app.get('/api/storage', (c) => c.json(storage()));
  app.get('/api/status', (c) => {
    const s = network?.status();
    return c.json({
      did: node.did,
      peerId: s?.peerId ?? null,
      objects: node.store.objects.count(),
      connections: s?.connections ?? 0,
      syncing: ((s?.syncing as JsonObject[] | undefined) ?? []).map((p) => ({ active: true, ...p })),
      storage: storage(),
    });
  });
  app.get('/api/settings', (c) => c.json(loadPreferences(node.store.settings)));
  const preferenceListeners: PreferencesListener[] = [];
  app.patch('/api/settings', async (c) => {
    const prefs = updatePreferences(node.store.settings, await jsonBody(c));
    for (const fn of preferenceListeners) fn(prefs);
    return c.json(prefs);
  });

  app.get('/api/events', (c) => {
    const device = c.get('device');
    return streamSSE(c, async (stream) => {
      let done = false;
      const remove = events.add(
        device.id,
        (event, data) => void stream.writeSSE({ event, data: JSON.stringify(data) }).catch(() => undefined),
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
        await stream.sleep(SSE_PING_MS);
        if (!done) await stream.writeSSE({ event: 'ping', data: '{}' });
      }
      remove();
    });
  });

  return {
    app,
    events,
    attach: (n) => {
      network = n;
      events.attach(n);
    },
    pairingOffer,
    onPreferences: (fn) => preferenceListeners.push(fn),
    close: () => events.close(),
  };
}
