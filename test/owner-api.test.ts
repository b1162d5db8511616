import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { signDocument } from '../src/core/proof.js';
import type { Did } from '../src/core/types.js';
import { outboxId } from '../src/core/apid.js';
import { OPENAPI } from '../src/api/openapi.js';
import { PUBLIC_ROUTES } from '../src/api/owner-auth.js';
import { readdirSync } from 'node:fs';
import { join, sep } from 'node:path';
import { repoRoot, tempDir } from './helpers.js';
import { kithJson, startNode, eventually, type NodeProcess } from './node-process.js';
import { api, pairDevice, pairRequest, type ApiAnswer, type DeviceClient } from './device-client.js';

/**
 * The owner API through a real node process: every endpoint refuses calls
 * without a device credential and from a removed device; bad input gets a
 * 4xx with a reason and changes nothing; and what a device does (post with
 * an image, reply, follow, block, live events, FEP-ae97) works.
 */

const PNG_1PX = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

let home: string;
let node: NodeProcess;
let base: string;
let device: DeviceClient;
let removed: DeviceClient;
const stranger = generateKeyPair();
const strangerDid = didFromPublicKey(stranger.publicKey);

before(async () => {
  home = tempDir('kith-api-');
  await kithJson(home, ['init']);
  node = await startNode(home);
  base = node.info.api;
  device = await pairDevice(home, base, 'Laptop');
  removed = await pairDevice(home, base, 'Old phone');
  const r = await device.call('DELETE', `/api/devices/${removed.id}`);
  assert.equal(r.status, 200);
  assert.ok(r.body.device.revoked);
});

after(async () => {
  await node?.stop();
});

/** Every operation of the OpenAPI document, with its path parameters filled in. */
function operations(): { method: string; path: string; route: string }[] {
  const fill: Record<string, string> = {
    did: encodeURIComponent(strangerDid),
    id: '0123456789ab',
    urn: encodeURIComponent('urn:eris:BIAIJS7A577GOTJJW7PHK63KI466UBV3DBNMABR2JJRRKHNPIAFTZGX6MBFSNR5KTTSVXSB7Z2OZOLYVVRF7PNNXIT4PPSCK3BRS32WJJQ'),
  };
  const out: { method: string; path: string; route: string }[] = [];
  for (const [route, item] of Object.entries(OPENAPI.paths)) {
    for (const method of Object.keys(item)) {
      out.push({ method: method.toUpperCase(), route, path: route.replace(/\{(\w+)\}/g, (_, k: string) => fill[k]!) });
    }
  }
  return out;
}

/** What a device can see of the node's state: compared before and after each refused call. */
async function snapshot(): Promise<unknown> {
  const parts = await Promise.all(
    [
      '/api/timeline?limit=50',
      '/api/devices',
      '/api/follows',
      '/api/blocks',
      '/api/settings',
      '/api/profile',
      '/api/notifications',
      '/api/storage',
      '/api/petnames',
    ].map(async (p) => [p, (await device.call('GET', p)).body] as const),
  );
  return Object.fromEntries(parts.map(([p, b]) => [p, p === '/api/devices' ? b.devices.map((d: any) => ({ ...d, lastSeen: null })) : b]));
}

function refused(r: ApiAnswer, status: number, code?: string): void {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(typeof r.body.error?.message, 'string');
  assert.ok(r.body.error.message.length > 10, 'the refusal says why');
  if (code) assert.equal(r.body.error.code, code);
}

test('the OpenAPI document is served and lists every route the tests walk', async () => {
  const r = await api(base, 'GET', '/api/openapi.json');
  assert.equal(r.status, 200);
  assert.equal(r.body.openapi, '3.1.0');
  assert.ok(operations().length >= 30);
  for (const route of PUBLIC_ROUTES) {
    const [method, path] = route.split(' ');
    assert.ok(Object.hasOwn((OPENAPI.paths as Record<string, object>)[path!] ?? {}, method!.toLowerCase()), `${route} is documented`);
  }
});

test('the web app is served to anyone, under a strict CSP; its service worker keeps every app file', async () => {
  const page = await api(base, 'GET', '/');
  assert.equal(page.status, 200);
  assert.match(page.headers.get('content-type') ?? '', /text\/html/);
  const csp = page.headers.get('content-security-policy') ?? '';
  assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]{44}'/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
  const sw = new TextDecoder().decode((await api(base, 'GET', '/sw.js')).body);
  const appFiles = readdirSync(join(repoRoot, 'src', 'web', 'app'), { recursive: true })
    .map(String)
    .filter((f) => /\.(js|css)$/.test(f));
  assert.ok(appFiles.length > 10);
  for (const f of appFiles) assert.ok(sw.includes(`"/app/${f.split(sep).join('/')}"`), `the service worker keeps /app/${f}`);
  for (const v of ['/vendor/preact.mjs', '/vendor/htm-preact.mjs', '/vendor/noble-ed25519.mjs', '/vendor/noble-hashes/sha2.js']) {
    const r = await api(base, 'GET', v);
    assert.equal(r.status, 200, v);
    assert.match(r.headers.get('content-type') ?? '', /javascript/);
  }
  refused(await api(base, 'GET', '/no-such-page'), 404);
});

test('every endpoint but pairing refuses calls without a credential, with a bogus one, and from a removed device', async () => {
  const beforeState = await snapshot();
  for (const { method, path, route } of operations()) {
    if (PUBLIC_ROUTES.has(`${method} ${route}`)) continue;
    const body = method === 'GET' || method === 'DELETE' ? undefined : {};
    refused(await api(base, method, path, body), 401, 'unauthenticated');
    refused(await api(base, method, path, body, { authorization: `Bearer ${'x'.repeat(43)}` }), 401, 'unauthenticated');
    refused(await removed.call(method, path, body), 401, 'revoked');
  }
  // A removed device cannot log back in with its key either.
  refused(await removed.login(), 401, 'revoked');
  assert.deepEqual(await snapshot(), beforeState);
});

test('bad input gets a 4xx with a reason and changes nothing', async () => {
  const own = (await device.call('GET', '/api/me')).body.did as Did;
  const cases: [string, string, unknown, number, Record<string, string>?][] = [
    ['POST', '/api/posts', {}, 400],
    ['POST', '/api/posts', { text: '   ' }, 400],
    ['POST', '/api/posts', { text: 'x'.repeat(5001) }, 400],
    ['POST', '/api/posts', { text: 'hi', inReplyTo: 'https://example.com/\u0000' }, 400],
    ['POST', '/api/posts', { text: 'hi', attachment: [{ url: 'urn:eris:nope', mediaType: 'image/png', size: 1 }] }, 400],
    ['POST', '/api/posts', { text: 'x'.repeat(70 * 1024) }, 413],
    ['POST', '/api/posts', 'not json', 400],
    ['POST', '/api/posts', [1, 2], 400],
    ['PUT', '/api/profile', { nickname: 'x' }, 400],
    ['PUT', '/api/profile', { name: 'x'.repeat(101) }, 400],
    ['PUT', '/api/profile', { icon: { url: 'urn:eris:x', mediaType: 'image/png', size: 1 } }, 400],
    ['GET', '/api/media/not-a-urn', undefined, 400],
    ['POST', '/api/follows', { target: 123 }, 400],
    ['POST', '/api/follows', { target: 'did:key:zNotAKey' }, 400],
    ['DELETE', '/api/follows/not-a-did', undefined, 400],
    ['DELETE', '/api/follows/%E0%A4%A', undefined, 400],
    ['POST', '/api/blocks', { did: own }, 409],
    ['POST', '/api/blocks', { did: 'someone' }, 400],
    ['DELETE', '/api/devices/zzz', undefined, 400],
    ['DELETE', '/api/devices/000000000000', undefined, 404],
    ['PATCH', '/api/settings', { bogus: 1 }, 400],
    ['PATCH', '/api/settings', { deviceLifetimeDays: 0 }, 400],
    ['PATCH', '/api/settings', { keepFollowedMedia: true, discoverable: 'yes' }, 400],
    ['GET', '/api/timeline?limit=0', undefined, 400],
    ['GET', '/api/timeline?before=junk', undefined, 400],
    ['GET', '/api/thread?id=nope', undefined, 400],
    ['GET', `/api/thread?id=${encodeURIComponent(`ap://${own}/objects/none`)}`, undefined, 404],
    ['GET', '/api/people/did:web:example.com', undefined, 400],
    ['POST', '/api/posts', { text: 'hi', contentWarning: 'x'.repeat(501) }, 400],
    ['POST', '/api/posts', { text: 'hi', summary: 'one', contentWarning: 'two' }, 400],
    ['POST', '/api/posts', { text: 'hi', sensitive: 'yes' }, 400],
    ['POST', '/api/posts', { text: 'hi @did:key:z6MkNotAKey' }, 400],
    ['PUT', '/api/profile', { image: { url: 'urn:eris:x', mediaType: 'image/png', size: 1 } }, 400],
    ['GET', '/api/search?q=%22%20*%20(', undefined, 400],
    ['GET', `/api/search?q=${'x'.repeat(201)}`, undefined, 400],
    ['GET', '/api/search?q=tea&limit=0', undefined, 400],
    ['PUT', `/api/petnames/${encodeURIComponent(strangerDid)}`, { name: 'two\nlines' }, 400],
    ['PUT', `/api/petnames/${encodeURIComponent(strangerDid)}`, { name: 'Sam', colour: 'red' }, 400],
    ['PUT', `/api/petnames/${encodeURIComponent(own)}`, { name: 'Me' }, 409],
    ['PUT', '/api/petnames/did:key:zNotAKey', { name: 'Sam' }, 400],
    ['POST', '/api/outbox', { type: 'Create' }, 400],
    ['POST', '/api/pair', { code: 'not a code!', name: 'x', publicKey: 'AA', signature: 'AA' }, 400],
    // A page elsewhere cannot make a logged-in browser change anything.
    ['POST', '/api/posts', { text: 'from another site' }, 403, { origin: 'http://evil.example' }],
    ['POST', '/api/posts', { text: 'from another site' }, 403, { 'sec-fetch-site': 'cross-site' }],
    ['DELETE', `/api/devices/${device.id}`, undefined, 403, { origin: 'http://evil.example' }],
  ];
  const beforeState = await snapshot();
  for (const [method, path, body, status, headers] of cases) {
    const r =
      typeof body === 'string'
        ? await api(base, method, path, new TextEncoder().encode(body), { authorization: `Bearer ${device.token}`, 'content-type': 'application/json' })
        : await device.call(method, path, body, headers);
    refused(r, status);
  }
  // Media: only media types, not empty, not over 16 MiB.
  refused(await device.call('POST', '/api/media', new TextEncoder().encode('<script>'), { 'content-type': 'text/html' }), 400);
  refused(await device.call('POST', '/api/media', new Uint8Array(0), { 'content-type': 'image/png' }), 400);
  refused(await device.call('POST', '/api/media', new Uint8Array(16 * 1024 * 1024 + 1), { 'content-type': 'image/png' }), 413);
  refused(await device.call('POST', '/api/media', PNG_1PX, { 'content-type': 'image/png', 'x-file-name': '100%' }), 400);
  // FEP-ae97: an activity signed by someone else's key is not taken into this outbox.
  const foreign = signDocument(buildCreate(strangerDid, buildNote(strangerDid, { text: 'not yours' })), stranger);
  refused(await device.call('POST', '/api/outbox', foreign), 403);
  assert.deepEqual(await snapshot(), beforeState);
});

test('pairing codes work once, wrong codes are counted, and a device logs back in with its key', async () => {
  const offer = await kithJson(home, ['pair']);
  assert.match(offer.code, /^[A-Z2-9]{4}-[A-Z2-9]{4}$/);
  assert.match(offer.url, /#pair=[A-Z2-9]{8}$/);
  const key = generateKeyPair();
  // A signature over another code does not claim this one.
  const wrongSig = { ...pairRequest(key, offer.code), signature: pairRequest(key, 'ABCD-EFGH').signature };
  refused(await api(base, 'POST', '/api/pair', wrongSig), 400, 'bad-signature');
  const ok = await api(base, 'POST', '/api/pair', pairRequest(key, offer.code.toLowerCase(), 'Tablet'));
  assert.equal(ok.status, 201, JSON.stringify(ok.body));
  assert.equal(ok.body.certificate.subject, didFromPublicKey(key.publicKey));
  assert.deepEqual(ok.body.certificate.capability, ['publish']);
  assert.equal(ok.body.device.name, 'Tablet');
  // Used once: the same code no longer pairs anything.
  const again = await api(base, 'POST', '/api/pair', pairRequest(generateKeyPair(), offer.code));
  refused(again, 403, 'unauthorized');
  assert.match(again.body.error.message, /tries left/);
  // A cookie session for browsers: HttpOnly, SameSite=Strict, only for the API.
  const cookie = await api(base, 'POST', '/api/pair', { ...pairRequest(generateKeyPair(), (await kithJson(home, ['pair'])).code, 'Browser'), bearer: false });
  assert.equal(cookie.status, 201);
  const setCookie = cookie.headers.get('set-cookie') ?? '';
  assert.match(setCookie, /^kith_session=[A-Za-z0-9_-]{40,};/);
  assert.match(setCookie, /HttpOnly/);
  assert.match(setCookie, /SameSite=Strict/);
  assert.match(setCookie, /Path=\/api/);
  assert.equal(cookie.body.token, undefined, 'the token is not readable by page scripts');
  const session = setCookie.split(';')[0]!;
  assert.equal((await api(base, 'GET', '/api/me', undefined, { cookie: session })).status, 200);
  // Logging in again by signing a nonce gives a new working session.
  const r = await device.login();
  assert.equal(r.status, 200);
  assert.equal((await device.call('GET', '/api/me')).body.device.id, device.id);
  // The running node lists devices for `kith devices`.
  const listed = await kithJson(home, ['devices']);
  assert.ok(listed.devices.some((d: { name: string; revoked: string | null }) => d.name === 'Old phone' && d.revoked));
});

test('a device posts with an image, replies, changes the profile and settings; media is served decrypted', async () => {
  const upload = await device.call('POST', '/api/media', PNG_1PX, { 'content-type': 'image/png', 'x-file-name': 'dot.png' });
  assert.equal(upload.status, 201);
  const attachment = upload.body.attachment;
  assert.match(attachment.url, /^urn:eris:/);
  const storage = await device.call('GET', '/api/storage');
  assert.ok(storage.body.blocks.blocks > 0, 'the upload is counted in blocks');
  assert.ok(storage.body.blocks.bytes > 0);
  // An image's description (alt text) is its AS2 name; one that is not text, or too long, is refused.
  refused(await device.call('POST', '/api/posts', { text: 'a dot', attachment: [{ ...attachment, name: 'x'.repeat(1501) }] }), 400, 'malformed');
  refused(await device.call('POST', '/api/posts', { text: 'a dot', attachment: [{ ...attachment, name: 42 }] }), 400, 'malformed');
  const posted = await device.call('POST', '/api/posts', { text: 'a dot', attachment: [{ ...attachment, name: '  One black dot  ' }] });
  assert.equal(posted.status, 201);
  const post = posted.body.post;
  assert.equal(post.text, 'a dot');
  assert.equal(post.attachment[0].mediaType, 'image/png');
  assert.equal(post.attachment[0].name, 'One black dot');
  assert.equal(post.inReplyToAuthor, null);
  const img = await device.call('GET', post.attachment[0].src);
  assert.equal(img.status, 200);
  assert.equal(img.headers.get('content-type'), 'image/png');
  assert.deepEqual(Buffer.from(img.body), PNG_1PX);
  assert.match(img.headers.get('content-security-policy') ?? '', /sandbox/);

  const reply = await device.call('POST', '/api/posts', { text: 'and a reply', inReplyTo: post.id });
  assert.equal(reply.status, 201);
  assert.equal(reply.body.post.inReplyToAuthor.did, post.author.did, 'a reply names whom it answers');
  assert.equal(reply.body.post.inReplyToAuthor.me, true);
  const thread = await device.call('GET', `/api/thread?id=${encodeURIComponent(post.id)}`);
  assert.deepEqual(
    thread.body.replies.map((p: { text: string }) => p.text),
    ['and a reply'],
  );
  assert.equal(thread.body.post.replies, 1);
  const up = await device.call('GET', `/api/thread?id=${encodeURIComponent(reply.body.post.id)}`);
  assert.deepEqual(
    up.body.ancestors.map((p: { id: string }) => p.id),
    [post.id],
  );

  const timeline = await device.call('GET', '/api/timeline?limit=1');
  assert.equal(timeline.body.items.length, 1);
  assert.equal(timeline.body.items[0].text, 'and a reply');
  const next = await device.call('GET', `/api/timeline?limit=1&before=${timeline.body.next}`);
  assert.equal(next.body.items[0].text, 'a dot');

  const profile = await device.call('PUT', '/api/profile', { name: 'Alice', summary: 'hi <b>there</b>', icon: attachment });
  assert.equal(profile.body.name, 'Alice');
  assert.equal(profile.body.summary, 'hi <b>there</b>');
  assert.match(profile.body.icon, /^\/api\/media\//);
  const actor = await kithJson(home, ['show', profile.body.id]);
  assert.equal(actor.name, 'Alice');
  assert.ok(actor.endpoints.kithPeers.length > 0, 'the new actor version keeps its peer addresses');

  const settings = await device.call('PATCH', '/api/settings', { deviceLifetimeDays: 30 });
  assert.deepEqual(settings.body, {
    keepFollowedMedia: true,
    deviceLifetimeDays: 30,
    discoverable: true,
    apiHosts: [],
    trustedProxies: [],
    filterStrangers: false,
    locked: false,
  });
  // Nobody asked to follow this node's owner: empty lists, and an answer to nobody's request is refused.
  assert.deepEqual((await device.call('GET', '/api/followers')).body, { followers: [] });
  assert.deepEqual((await device.call('GET', '/api/follow-requests')).body, { requests: [], locked: false });
  refused(await device.call('POST', `/api/follow-requests/${encodeURIComponent(strangerDid)}/approve`), 404, 'not-found');
  refused(await device.call('DELETE', `/api/followers/${encodeURIComponent(strangerDid)}`), 404, 'not-found');
  const paired = await api(base, 'POST', '/api/pair', pairRequest(generateKeyPair(), (await kithJson(home, ['pair'])).code, 'Short-lived'));
  const days = (Date.parse(paired.body.device.expires) - Date.parse(paired.body.device.created)) / 86_400_000;
  assert.ok(Math.abs(days - 30) < 0.01, `a new device is paired for 30 days, not ${days}`);
});

test('a device searches, names people, posts behind a content warning with hashtags and mentions, and sets a header', async () => {
  const path = `/api/petnames/${encodeURIComponent(strangerDid)}`;
  const named = await device.call('PUT', path, { name: 'Sam' });
  assert.equal(named.status, 200, JSON.stringify(named.body));
  assert.equal(named.body.person.petname, 'Sam');
  const posted = await device.call('POST', '/api/posts', { text: 'Mind the #Gap, @sam', contentWarning: 'trains' });
  assert.equal(posted.status, 201, JSON.stringify(posted.body));
  const post = posted.body.post;
  assert.equal(post.summary, 'trains');
  assert.equal(post.sensitive, true);
  assert.deepEqual(post.hashtags, ['gap']);
  assert.deepEqual(post.mentions, [{ handle: '@sam', did: strangerDid }]);

  const byTag = await device.call('GET', '/api/search?q=%23GAP');
  assert.deepEqual(
    byTag.body.posts.map((p: { id: string }) => p.id),
    [post.id],
  );
  const byPetname = await device.call('GET', '/api/search?q=sam');
  assert.deepEqual(
    byPetname.body.people.map((p: { did: string; petname: string }) => [p.did, p.petname]),
    [[strangerDid, 'Sam']],
  );
  assert.deepEqual(
    (await device.call('GET', '/api/petnames')).body.petnames.map((p: { name: string; person: { did: string } }) => [p.name, p.person.did]),
    [['Sam', strangerDid]],
  );
  const removedName = await device.call('DELETE', path);
  assert.deepEqual([removedName.body.removed, removedName.body.person.petname], [true, null]);

  const upload = await device.call('POST', '/api/media', PNG_1PX, { 'content-type': 'image/png', 'x-file-name': 'wide.png' });
  const profile = await device.call('PUT', '/api/profile', { image: upload.body.attachment });
  assert.equal(profile.status, 200, JSON.stringify(profile.body));
  assert.match(profile.body.image, /^\/api\/media\/urn%3Aeris%3A/);
  assert.equal((await kithJson(home, ['show', profile.body.id])).image.url, upload.body.attachment.url);
});

test('FEP-ae97: an activity signed on the device with its certified key is taken, and not once the device is removed', async () => {
  const owner = (await device.call('GET', '/api/me')).body.did as Did;
  const key = generateKeyPair();
  const offer = await kithJson(home, ['pair']);
  const paired = await api(base, 'POST', '/api/pair', pairRequest(key, offer.code, 'Signer'));
  assert.equal(paired.status, 201);
  const signed = signDocument(buildCreate(owner, buildNote(owner, { text: 'signed on my phone' })), key);
  const r = await api(base, 'POST', '/api/outbox', signed, { authorization: `Bearer ${paired.body.token}`, 'content-type': 'application/activity+json' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const timeline = await device.call('GET', '/api/timeline?limit=5');
  assert.ok(timeline.body.items.some((p: { text: string }) => p.text === 'signed on my phone'));

  assert.equal((await device.call('DELETE', `/api/devices/${paired.body.device.id}`)).status, 200);
  const later = signDocument(buildCreate(owner, buildNote(owner, { text: 'after removal' })), key);
  // Its session is refused, and so is anything signed with its key, whoever hands it in.
  refused(
    await api(base, 'POST', '/api/outbox', later, { authorization: `Bearer ${paired.body.token}`, 'content-type': 'application/activity+json' }),
    401,
    'revoked',
  );
  const handed = await device.call('POST', '/api/outbox', later);
  assert.equal(handed.status, 400);
  assert.equal(handed.body.error.code, 'revoked');
});

test('live events: a new post arrives on the stream, and a removed device\u2019s stream is closed', async () => {
  const watcher = await pairDevice(home, base, 'Watcher');
  const res = await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${watcher.token}` } });
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /text\/event-stream/);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  const until = async (re: RegExp): Promise<void> => {
    while (!re.test(text)) {
      const { done, value } = await reader.read();
      if (done) throw new Error(`stream ended before ${re}: ${text}`);
      text += value;
    }
  };
  await until(/event: hello/);
  await device.call('POST', '/api/posts', { text: 'live one' });
  await until(/event: post\ndata: .*live one/);
  await device.call('DELETE', `/api/devices/${watcher.id}`);
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
});

test('two nodes: follow a person, see their reply as a notification, block them and their posts are gone', { timeout: 180_000 }, async () => {
  const homeB = tempDir('kith-api-b-');
  const b = await kithJson(homeB, ['init']);
  const nodeB = await startNode(homeB, ['--bootstrap', node.info.addresses[0]!]);
  try {
    const bDevice = await pairDevice(homeB, nodeB.info.api, 'B laptop');
    const mine = await device.call('POST', '/api/posts', { text: 'anyone there?' });
    // Enough that a sync checks them in parallel and stores them in slices (node/next-turn.ts) smaller than the live limit.
    for (let i = 0; i < 80; i++) await bDevice.call('POST', '/api/posts', { text: `from B's archive, ${i}` });
    await bDevice.call('POST', '/api/posts', { text: 'hello from B' });
    // A's open app: a sync's posts are not sent to it one by one; it reads them when the sync is done.
    const events = await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${device.token}` } });
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
    let stream = '';
    const until = async (seen: (text: string) => boolean, what: string): Promise<void> => {
      while (!seen(stream)) {
        const { done, value } = await reader.read();
        if (done) throw new Error(`the event stream ended before ${what}: ${stream.slice(-500)}`);
        stream += value;
      }
    };
    const followed = await device.call('POST', '/api/follows', { target: nodeB.info.addresses[0] });
    assert.equal(followed.status, 200, JSON.stringify(followed.body));
    assert.ok(followed.body.received >= 81, `the follow synced B's posts (${followed.body.received})`);
    const doneWord = `event: sync\ndata: {"active":false,"scope":${JSON.stringify(outboxId(b.did))}`;
    await until((text) => text.includes(doneWord), "the sync's last word");
    assert.equal((stream.match(/event: post\n/g) ?? []).length, 0, 'no post of the sync was sent live');
    assert.equal(followed.body.person.did, b.did);
    assert.equal(followed.body.person.following, true);
    assert.equal(followed.body.person.found, true);
    await eventually(
      'B\u2019s post in A\u2019s timeline',
      () => device.call('GET', '/api/timeline'),
      (r) => r.body.items.some((p: { text: string }) => p.text === 'hello from B'),
    );

    await bDevice.call('POST', '/api/posts', { text: 'yes, me', inReplyTo: mine.body.post.id });
    // Once the sync is done, B's new posts arrive live again.
    await until((text) => /event: post\ndata: .*yes, me/.test(text), 'the live reply');
    await reader.cancel();
    const n = await eventually(
      'a reply notification',
      () => device.call('GET', '/api/notifications'),
      (r) => r.body.unread >= 1,
    );
    assert.equal(n.body.items[0].kind, 'reply');
    assert.equal(n.body.items[0].post.text, 'yes, me');
    assert.equal(n.body.items[0].post.author.did, b.did);
    // The notice quotes the post it answers.
    assert.equal(n.body.items[0].quote.id, mine.body.post.id);
    assert.equal(n.body.items[0].quote.text, 'anyone there?');
    assert.equal(n.body.items[0].quote.author.me, true);
    assert.equal(n.body.items[0].post.inReplyToAuthor.me, true);

    // One entry per connected node, named by the person whose node it is.
    const peers = (await device.call('GET', '/api/peers')).body.peers;
    assert.deepEqual(
      peers.map((p: { peerId: string }) => p.peerId),
      [nodeB.info.peerId],
    );
    assert.equal(peers[0].person.did, b.did);
    assert.ok(peers[0].connections >= 1);

    // Following a key that no node knows takes it, and says nothing of theirs was found.
    const unknown = await device.call('POST', '/api/follows', { target: strangerDid });
    assert.equal(unknown.status, 200, JSON.stringify(unknown.body));
    assert.equal(unknown.body.person.following, true);
    assert.equal(unknown.body.person.found, false);
    assert.equal(unknown.body.received, 0);
    const listed = (await device.call('GET', '/api/follows')).body.following;
    assert.deepEqual(
      listed.map((p: { did: string; found: boolean }) => [p.did, p.found]).sort(),
      [
        [b.did, true],
        [strangerDid, false],
      ].sort(),
    );
    assert.equal((await device.call('DELETE', `/api/follows/${encodeURIComponent(strangerDid)}`)).body.removed, true);
    assert.equal((await device.call('POST', '/api/notifications/read', {})).body.unread, 0);

    const person = await device.call('GET', `/api/people/${encodeURIComponent(b.did)}`);
    assert.ok(person.body.items.some((p: { text: string }) => p.text === 'hello from B'));

    const blocked = await device.call('POST', '/api/blocks', { did: b.did });
    assert.equal(blocked.body.person.blocked, true);
    assert.equal(blocked.body.person.following, false);
    const timeline = await device.call('GET', '/api/timeline?limit=50');
    assert.ok(!timeline.body.items.some((p: { author: { did: string } }) => p.author.did === b.did));
    assert.equal((await device.call('GET', '/api/notifications')).body.items.length, 0);
    assert.equal((await device.call('DELETE', `/api/blocks/${encodeURIComponent(b.did)}`)).body.removed, true);
  } finally {
    await nodeB.stop();
  }
});
