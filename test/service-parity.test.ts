import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './helpers.js';
import { kith, kithJson, startNode, type NodeProcess } from './node-process.js';
import { api, pairDevice, type DeviceClient } from './device-client.js';

/**
 * One application service under every surface: the same bad request, made
 * with the `kith` command (through the running node's control endpoint) and
 * through the owner API a paired device uses, is refused with the same code
 * and reason, answered with the same HTTP status by both endpoints, and
 * changes nothing. With no node running, the command refuses it by the same rule.
 */

interface Refusal {
  code: string;
  message: string;
}

interface Case {
  what: string;
  cli: string[];
  api: [method: string, path: string, body?: unknown];
  /** The same request to the control endpoint, as the command sends it. */
  control: [method: string, path: string, body?: unknown];
  code: string;
}

const LONG = 'x'.repeat(5001);
const BAD_DID = 'did:key:zNotAKey';
const NOT_AP = 'https://example.com/notes/1';

const cases: Case[] = [
  {
    what: 'a post over 5,000 characters',
    cli: ['post', LONG],
    api: ['POST', '/api/posts', { text: LONG }],
    control: ['POST', '/post', { text: LONG }],
    code: 'malformed',
  },
  {
    what: 'a follow of a malformed DID',
    cli: ['follow', BAD_DID],
    api: ['POST', '/api/follows', { target: BAD_DID }],
    control: ['POST', '/follow', { target: BAD_DID }],
    code: 'bad-encoding',
  },
  {
    what: 'a reply to a non-ap:// id',
    cli: ['post', 'a reply', '--reply-to', NOT_AP],
    api: ['POST', '/api/posts', { text: 'a reply', inReplyTo: NOT_AP }],
    control: ['POST', '/post', { text: 'a reply', inReplyTo: NOT_AP }],
    code: 'malformed',
  },
  {
    what: 'an unfollow of a malformed DID',
    cli: ['unfollow', BAD_DID],
    api: ['DELETE', `/api/follows/${encodeURIComponent(BAD_DID)}`],
    control: ['POST', '/unfollow', { did: BAD_DID }],
    code: 'bad-encoding',
  },
  {
    what: 'an unfollow of something that is no person',
    cli: ['unfollow', 'someone'],
    api: ['DELETE', '/api/follows/someone'],
    control: ['POST', '/unfollow', { did: 'someone' }],
    code: 'malformed',
  },
  {
    what: 'removing a device by a malformed id',
    cli: ['devices', 'revoke', 'zzz'],
    api: ['DELETE', '/api/devices/zzz'],
    control: ['POST', '/devices/revoke', { id: 'zzz' }],
    code: 'malformed',
  },
  {
    what: 'removing a device that was never paired',
    cli: ['devices', 'revoke', '000000000000'],
    api: ['DELETE', '/api/devices/000000000000'],
    control: ['POST', '/devices/revoke', { id: '000000000000' }],
    code: 'not-found',
  },
];

let home: string;
let node: NodeProcess;
let device: DeviceClient;
let control: { url: string; token: string };

before(async () => {
  home = tempDir('kith-parity-');
  await kithJson(home, ['init']);
  node = await startNode(home);
  device = await pairDevice(home, node.info.api, 'Parity laptop');
  control = JSON.parse(readFileSync(join(home, 'control.json'), 'utf8'));
});

after(async () => {
  await node?.stop();
});

/** Runs a command with --json that must fail, and returns the refusal it printed. */
async function cliRefusal(dir: string, args: string[]): Promise<Refusal> {
  const r = await kith(dir, [...args, '--json']);
  assert.equal(r.code, 1, `kith ${args.join(' ').slice(0, 80)} should fail\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const out = JSON.parse(r.stdout);
  assert.equal(out.ok, false, r.stdout);
  return out.error;
}

/** What a device can see of the node's state, compared before and after the refusals. */
async function snapshot(): Promise<unknown> {
  const paths = ['/api/timeline?limit=50', '/api/follows', '/api/blocks', '/api/profile'];
  const bodies = await Promise.all(paths.map(async (p) => (await device.call('GET', p)).body));
  const devices = (await device.call('GET', '/api/devices')).body.devices.map((d: { id: string; revoked: string | null }) => [d.id, d.revoked]);
  return { bodies, devices, following: (await kithJson(home, ['following'])).following };
}

test('the command and the owner API refuse the same bad request with the same code, reason and status', { timeout: 180_000 }, async () => {
  const beforeState = await snapshot();
  for (const c of cases) {
    const fromCli = await cliRefusal(home, c.cli);
    const [method, path, body] = c.api;
    const fromApi = await device.call(method, path, body);
    assert.ok(fromApi.status >= 400 && fromApi.status < 500, `${c.what}: the owner API answered ${fromApi.status} ${JSON.stringify(fromApi.body)}`);
    assert.equal(fromCli.code, c.code, `${c.what}: the command's refusal ${JSON.stringify(fromCli)}`);
    assert.deepEqual(fromApi.body.error, fromCli, `${c.what}: the owner API refused it as the command did`);
    // One map from refusal code to HTTP status, on both endpoints.
    const [cMethod, cPath, cBody] = c.control;
    const fromControl = await api(control.url, cMethod, cPath, cBody, { authorization: `Bearer ${control.token}` });
    assert.equal(fromControl.status, fromApi.status, `${c.what}: both endpoints answer with one status`);
    assert.deepEqual(fromControl.body.error, fromCli);
  }
  assert.deepEqual(await snapshot(), beforeState, 'nothing changed');
});

test('with no node running, the command refuses by the same rules', { timeout: 120_000 }, async () => {
  const offline = tempDir('kith-parity-offline-');
  await kithJson(offline, ['init']);
  for (const c of cases.filter((x) => x.cli[0] === 'post' || x.cli[0] === 'unfollow')) {
    const fromCli = await cliRefusal(offline, c.cli);
    const [method, path, body] = c.api;
    const fromApi = await device.call(method, path, body);
    assert.deepEqual(fromCli, fromApi.body.error, `${c.what}: refused alike with and without a running node`);
  }
  // A follow, too, is checked before it is stored; the running node's answer names the same reason.
  const follow = cases.find((x) => x.cli[0] === 'follow')!;
  assert.deepEqual(await cliRefusal(offline, follow.cli), (await device.call(...follow.api)).body.error);
  assert.deepEqual((await kithJson(offline, ['outbox'])).items, []);
  assert.deepEqual((await kithJson(offline, ['following'])).following, []);
});

test(
  'what both surfaces take, they do alike: a post made by the command shows in the owner API, and one made there in the command\u2019s outbox',
  { timeout: 120_000 },
  async () => {
    const fromCli = await kithJson(home, ['post', 'x'.repeat(5000)]);
    assert.equal(fromCli.pushedTo, 0, 'no followers are connected');
    const fromApi = await device.call('POST', '/api/posts', { text: 'from the web app', inReplyTo: fromCli.noteId.replace(/^ap:/, 'AP:') });
    assert.equal(fromApi.status, 201, JSON.stringify(fromApi.body));
    // The id it answers is stored in its canonical form, whichever way it was written.
    assert.equal(fromApi.body.post.inReplyTo, fromCli.noteId);
    const outbox = await kithJson(home, ['outbox', '--limit', '2']);
    assert.deepEqual(
      outbox.items.map((i: { object: { object: { id: string } } }) => i.object.object.id),
      [fromApi.body.post.id, fromCli.noteId],
    );
  },
);
