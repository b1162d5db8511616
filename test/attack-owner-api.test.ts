import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { generateKeyPair } from '../src/core/ed25519.js';
import { signDocument } from '../src/core/proof.js';
import { sessionMessage } from '../src/core/pairing.js';
import { LOGIN_ATTEMPTS_PER_CLIENT, PAIRING_FAILURES_PER_CLIENT } from '../src/core/constants.js';
import type { Did } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { attachBytes } from '../src/node/media.js';
import { homePaths } from '../src/node/home.js';
import { runningNode } from '../src/cli/control-client.js';
import { tempDir, waitFor } from './helpers.js';
import { kithJson, startNode, type NodeProcess } from './node-process.js';
import { api, DeviceClient, pairRequest, signText } from './device-client.js';

/**
 * Issue 11, findings 4 and 5 (the owner API's parts), as attacks on a real
 * node process over HTTP: a page that rebinds its own name to the node
 * (DNS rebinding) is refused with 421; one address guessing pairing codes
 * or asking for login challenges no longer locks every device out; a
 * captured login answer does not log in twice; an event stream ends when
 * its session logs out; a GET of media the node does not hold neither
 * fetches nor pins it; a post dated far ahead shows when it arrived; a
 * trusted proxy's https makes the session cookie Secure; and the store's
 * files are the owner's alone.
 */

const PNG_1PX = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/**
 * One request with headers fetch() will not send as given (Host), from a
 * chosen loopback address: on Linux all of 127/8 is this machine, so each
 * 127.0.0.x is a different client to the node.
 */
function raw(base: string, method: string, path: string, opts: { headers?: Record<string, string>; body?: unknown; from?: string } = {}): Promise<Answer> {
  const url = new URL(path, base);
  const data = opts.body === undefined ? undefined : Buffer.from(JSON.stringify(opts.body));
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        method,
        ...(opts.from ? { localAddress: opts.from } : {}),
        headers: { ...(data ? { 'content-type': 'application/json', 'content-length': String(data.length) } : {}), ...opts.headers },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          const json = (res.headers['content-type'] ?? '').startsWith('application/json');
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: json ? JSON.parse(text) : text });
        });
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

let home: string;
let node: NodeProcess;
let base: string;
let port: string;
let device: DeviceClient;
const running: NodeProcess[] = [];

/** A pairing code from a paired device (Settings › Pair a device), without starting a `kith` process for each. */
async function newCode(): Promise<string> {
  const r = await device.call('POST', '/api/devices/pairing', {});
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return r.body.code as string;
}

async function pairWith(code: string, name: string): Promise<DeviceClient> {
  const key = generateKeyPair();
  const r = await api(base, 'POST', '/api/pair', pairRequest(key, code, name));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  return new DeviceClient(base, key, r.body.token, r.body.device.id);
}

before(async () => {
  // Files made as most systems make them (readable by others unless made private), to see Kith make its store private.
  process.umask(0o022);
  home = tempDir('kith-attack-api-');
  // The node makes its identity and store itself on a first start.
  node = await startNode(home);
  running.push(node);
  base = node.info.api;
  port = new URL(base).port;
  // The first code as `kith pair` gets it: from the running node's control endpoint.
  const control = await runningNode(homePaths(home));
  device = await pairWith((await control!.call('POST /pair')).code, 'Laptop');
});

after(async () => {
  await Promise.all(running.map((n) => n.stop()));
});

test('DNS rebinding: a Host the node does not answer to gets 421 everywhere; loopback, IP addresses and names the owner adds pass', async () => {
  const bearer = { authorization: `Bearer ${device.token}` };
  for (const path of ['/', '/app/main.js', '/sw.js', '/api/openapi.json', '/api/session/challenge', '/api/me']) {
    const r = await raw(base, 'GET', path, { headers: { host: `rebound.example:${port}`, ...bearer } });
    assert.equal(r.status, 421, `${path}: ${JSON.stringify(r.body)}`);
    assert.match(r.body.error.message, /does not answer to the name "rebound\.example".*apiHosts/);
  }
  const pair = await raw(base, 'POST', '/api/pair', { headers: { host: 'rebound.example' }, body: pairRequest(generateKeyPair(), 'ABCD-EFGH') });
  assert.equal(pair.status, 421);
  for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`, 'LOCALHOST', `192.0.2.10:${port}`]) {
    const r = await raw(base, 'GET', '/api/session/challenge', { headers: { host } });
    assert.equal(r.status, 200, host);
  }
  // A name the owner adds (`kith settings set apiHosts …`, applied by the running node at once) is answered to, with any port.
  assert.equal((await raw(base, 'GET', '/', { headers: { host: `kith.example:${port}` } })).status, 421);
  const set = await kithJson(home, ['settings', 'set', 'apiHosts', 'kith.example,Other.Example.']);
  assert.deepEqual(set.apiHosts, ['kith.example', 'other.example']);
  assert.equal((await raw(base, 'GET', '/', { headers: { host: `kith.example:${port}` } })).status, 200);
  assert.equal((await raw(base, 'GET', '/api/me', { headers: { host: 'other.example', ...bearer } })).status, 200);
  assert.equal((await raw(base, 'GET', '/', { headers: { host: `rebound.example:${port}` } })).status, 421);
});

test('one address guessing pairing codes or asking for challenges locks out only itself; a login answer works once', async () => {
  const attacker = '127.0.0.66';
  const offer = { code: await newCode() };
  // Wrong codes from one address, each claiming another client address in X-Forwarded-For (believed only from a trusted proxy).
  for (let i = 0; i < PAIRING_FAILURES_PER_CLIENT; i++) {
    const r = await raw(base, 'POST', '/api/pair', {
      from: attacker,
      headers: { 'x-forwarded-for': `198.51.100.${i}` },
      body: pairRequest(generateKeyPair(), 'ABCD-EFGH'),
    });
    assert.equal(r.status, 403, JSON.stringify(r.body));
  }
  const held = await raw(base, 'POST', '/api/pair', { from: attacker, body: pairRequest(generateKeyPair(), offer.code) });
  assert.equal(held.status, 429, 'the guessing address waits, even with a right code');
  // The code shown to the owner still pairs, from their device's address.
  const ok = await raw(base, 'POST', '/api/pair', { body: pairRequest(generateKeyPair(), offer.code, 'Phone') });
  assert.equal(ok.status, 201, JSON.stringify(ok.body));

  // Far more challenge requests than the node ever kept before; the asker is slowed, nobody else is.
  const answers: number[] = [];
  for (let i = 0; i < 300; i++) answers.push((await raw(base, 'GET', '/api/session/challenge', { from: attacker })).status);
  assert.equal(answers.filter((s) => s === 200).length, LOGIN_ATTEMPTS_PER_CLIENT);
  assert.ok(answers.slice(LOGIN_ATTEMPTS_PER_CLIENT).every((s) => s === 429));
  const login = await device.login();
  assert.equal(login.status, 200, JSON.stringify(login.body));

  // A challenge the node did not make (one character changed) is refused; a captured answer does not log in twice.
  const ch = (await raw(base, 'GET', '/api/session/challenge')).body.nonce as string;
  const answer = (nonce: string) => ({
    publicKey: device.publicKey,
    nonce,
    signature: signText(device.key, sessionMessage(nonce, device.publicKey)),
    bearer: true,
  });
  const forged = `${ch.slice(0, 10)}${ch[10] === 'A' ? 'B' : 'A'}${ch.slice(11)}`;
  assert.equal((await raw(base, 'POST', '/api/session', { body: answer(forged) })).status, 401);
  const first = await raw(base, 'POST', '/api/session', { body: answer(ch) });
  assert.equal(first.status, 200, JSON.stringify(first.body));
  const replayed = await raw(base, 'POST', '/api/session', { from: '127.0.0.67', body: answer(ch) });
  assert.equal(replayed.status, 401);
  assert.match(replayed.body.error.message, /used/);
});

test('a live event stream ends when its session logs out', { timeout: 20_000 }, async () => {
  const watcher = await pairWith(await newCode(), 'Watcher');
  const res = await fetch(`${base}/api/events`, { headers: { authorization: `Bearer ${watcher.token}` } });
  assert.equal(res.status, 200);
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  let text = '';
  while (!text.includes('event: hello')) text += (await reader.read()).value ?? '';
  assert.equal((await watcher.call('DELETE', '/api/session')).status, 200);
  // Before the fix the stream stayed open (a ping every 25 s): the test's timeout is what fails it then.
  for (;;) {
    const { done } = await reader.read();
    if (done) break;
  }
  assert.equal((await watcher.call('GET', '/api/me')).status, 401, 'the session is gone too');
});

test('a post dated far ahead by its author shows the time it arrived, with the claim beside it', async () => {
  const owner = (await device.call('GET', '/api/me')).body.did as Did;
  const claim = '2999-01-01T00:00:00Z';
  const create = buildCreate(owner, { ...buildNote(owner, { text: 'from the future' }), published: claim });
  create.published = new Date().toISOString();
  const signed = signDocument(create, device.key);
  const r = await device.call('POST', '/api/outbox', signed, { 'content-type': 'application/activity+json' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  const post = (await device.call('GET', '/api/timeline?limit=50')).body.items.find((p: { text: string }) => p.text === 'from the future');
  assert.ok(post);
  assert.ok(Date.parse(post.published) <= Date.now(), `shown as ${post.published}`);
  assert.equal(post.publishedClaim, claim);
});

test('behind a trusted proxy that was reached over https, the session cookie is Secure; its X-Forwarded-For is the client', async () => {
  const viaProxy = async (from: string | undefined): Promise<Answer> =>
    raw(base, 'POST', '/api/pair', {
      ...(from ? { from } : {}),
      headers: { 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.5' },
      body: { ...pairRequest(generateKeyPair(), await newCode(), 'Proxied'), bearer: false },
    });
  const trust = async (proxies: string[]): Promise<void> => {
    assert.deepEqual((await device.call('PATCH', '/api/settings', { trustedProxies: proxies })).body.trustedProxies, proxies);
  };
  // Not trusted yet: the header is anyone's word.
  const plain = await viaProxy(undefined);
  assert.equal(plain.status, 201);
  assert.doesNotMatch(String(plain.headers['set-cookie']), /Secure/);
  await trust(['127.0.0.1']);
  const secure = await viaProxy(undefined);
  assert.equal(secure.status, 201);
  assert.match(String(secure.headers['set-cookie']), /; Secure/);
  // Only from the proxy's own address.
  const other = await viaProxy('127.0.0.68');
  assert.equal(other.status, 201);
  assert.doesNotMatch(String(other.headers['set-cookie']), /Secure/);
  // Through the proxy, wrong codes count against the client it names, not against the proxy's other clients.
  const offer = { code: await newCode() };
  for (let i = 0; i <= PAIRING_FAILURES_PER_CLIENT; i++) {
    await raw(base, 'POST', '/api/pair', { headers: { 'x-forwarded-for': '203.0.113.66' }, body: pairRequest(generateKeyPair(), 'ABCD-EFGH') });
  }
  const guesser = await raw(base, 'POST', '/api/pair', { headers: { 'x-forwarded-for': '203.0.113.66' }, body: pairRequest(generateKeyPair(), offer.code) });
  assert.equal(guesser.status, 429);
  const neighbour = await raw(base, 'POST', '/api/pair', { headers: { 'x-forwarded-for': '203.0.113.67' }, body: pairRequest(generateKeyPair(), offer.code) });
  assert.equal(neighbour.status, 201, JSON.stringify(neighbour.body));
  await trust([]);
});

test('GET of media the node does not hold neither fetches nor pins it; POST /api/media/fetch does', { timeout: 120_000 }, async () => {
  // B holds an image (stored before its node starts); A, connected to B, does not.
  const homeB = tempDir('kith-attack-api-b-');
  const { node: b } = KithNode.init(homeB);
  const urn = String((await attachBytes(b.store, PNG_1PX, 'image/png')).url);
  b.close();
  const nodeB = await startNode(homeB, ['--bootstrap', node.info.addresses[0]!]);
  running.push(nodeB);
  const src = `/api/media/${encodeURIComponent(urn)}?type=image%2Fpng`;
  await waitFor('A connected to B', async () =>
    (await device.call('GET', '/api/peers')).body.peers.some((p: { peerId: string }) => p.peerId === nodeB.info.peerId),
  );

  const storage = (await device.call('GET', '/api/storage')).body;
  const got = await device.call('GET', src);
  assert.equal(got.status, 404, 'a GET serves only what is held');
  assert.match(got.body.error.message, /POST \/api\/media\/fetch/);
  assert.deepEqual((await device.call('GET', '/api/storage')).body.blocks, storage.blocks, 'nothing fetched or pinned');

  const fetched = await device.call('POST', '/api/media/fetch', { urn });
  assert.equal(fetched.status, 200, JSON.stringify(fetched.body));
  assert.equal(fetched.body.complete, true);
  const img = await device.call('GET', src);
  assert.equal(img.status, 200);
  assert.deepEqual(Buffer.from(img.body), PNG_1PX);
});

test('the store and its WAL files are readable by the owner only', () => {
  for (const f of ['kith.db', 'kith.db-wal', 'kith.db-shm']) {
    assert.equal((statSync(join(home, f)).mode & 0o777).toString(8), '600', f);
  }
});
