import '../src/cli/polyfills.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { sha256, sha256Hex } from '../src/core/bytes.js';
import { generateKeyPair, keyPairFromSeed } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { apId } from '../src/core/apid.js';
import { parseErisUrn } from '../src/core/eris-urn.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import type { Logger } from '../src/core/log.js';
import type { JsonObject } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { Network } from '../src/node/network.js';
import { exportBackup, importBackup } from '../src/node/backup.js';
import { headerLine, blockLine, parseBlockLine, parseHeader, parseJsonLine, parseTreeLine, treeLines } from '../src/node/backup-format.js';
import { LineReader } from '../src/node/line-reader.js';
import { startApiServer, type ApiServer } from '../src/api/api-server.js';
import { startControl, type ControlServer } from '../src/api/control.js';
import { tempDir } from './helpers.js';
import { api, pairRequest, DeviceClient } from './device-client.js';
import {
  decodes,
  decodesAsync,
  fuzzSeed,
  jsonMutations,
  mutateJson,
  outsideBytes,
  regressionCases,
  runProperty,
  tableDigests,
  type RegressionCase,
} from './fuzz-support.js';

/**
 * The fuzz suite, the node's own surfaces: every owner-API and control route
 * that takes a body, over real HTTP to a real in-process API server on a real
 * store, as a paired device (and the control endpoint with its token); and
 * backup files, line by line and whole. Properties: a refusal is a 4xx (or
 * a KithError) with a code and a reason, never a 500; it changes no table;
 * nothing takes longer than its budget; and what the backup format writes,
 * it reads back.
 */

const seed = fuzzSeed('fuzz-api');

const dirs: string[] = [];
const dir = (): string => {
  const d = tempDir('kith-fuzz-api-');
  dirs.push(d);
  return d;
};
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const PNG_1PX = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

// ---- The node under test: a service on a real store, its API and control endpoint on loopback, a paired device ----

/** Faults of the node's own (a 500's cause, a listener that failed), as it logs them. */
const faults: string[] = [];
const log: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: (l) => void faults.push(l) };

const nodeSeed = sha256('fuzz-api owner');
const service = new KithService(KithNode.init(dir(), { seed: nodeSeed }).node, { log });
const { node } = service;
const server: ApiServer = await startApiServer(service, { port: 0, host: '127.0.0.1' });
const control: ControlServer = await startControl(service, { port: 0, webUrl: server.url });
/**
 * The same node with its network attached, as `kith start` runs it (on
 * loopback, nobody else in sight), behind a second API server: publishing
 * then pushes what it stored. Only the publishing routes go here: with no
 * peer at all, following someone waits out the DHT lookup's 10 s for each.
 */
const networked = new KithService(node, { log });
const net = await Network.start(node, { listenHost: '127.0.0.1', tcpPort: 0, mdns: false, relayListen: false, log });
networked.attach(net);
const networkedServer: ApiServer = await startApiServer(networked, { port: 0, host: '127.0.0.1' });
networkedServer.attach(net);
cleanups.push(() => service.close());
cleanups.push(() => net.stop());
cleanups.push(() => networkedServer.close());
cleanups.push(() => server.close());
cleanups.push(() => control.close());

const deviceKey = generateKeyPair();
const paired = await api(server.url, 'POST', '/api/pair', pairRequest(deviceKey, service.devices.offer(server.url).code, 'Fuzzer'));
assert.equal(paired.status, 201, JSON.stringify(paired.body));
const device = new DeviceClient(server.url, deviceKey, paired.body.token, paired.body.device.id);
const image = await service.media.upload({ bytes: PNG_1PX, mediaType: 'image/png', name: 'dot.png' });
const first = await service.publishing.post({ text: 'first', attachment: [image] });

/** What changes on any authenticated call, refused or not: when the device was last seen. Refusals are counted by design. */
const BY_DESIGN = new Set(['refusals', 'devices.last_seen']);

interface Call {
  readonly method: string;
  readonly path: string;
  /** Text where it is text, so a counterexample reads as what was sent. */
  readonly body: string | Uint8Array;
  readonly type: string | undefined;
  readonly headers?: Record<string, string>;
}

/**
 * Sends a request and checks the answer: never a 500, a refusal with a code
 * (not 'internal') and a reason, within the budget, and a refusal leaves every
 * table as it was.
 */
async function checkCall(base: string, auth: string, call: Call): Promise<number> {
  const before = tableDigests(node.store, BY_DESIGN);
  const faultsBefore = faults.length;
  const t0 = performance.now();
  const res = await fetch(base + call.path, {
    method: call.method,
    headers: { authorization: `Bearer ${auth}`, ...(call.type !== undefined ? { 'content-type': call.type } : {}), ...call.headers },
    body: call.body,
  });
  const text = await res.text();
  const ms = performance.now() - t0;
  const what = `${call.method} ${call.path} answered ${res.status}: ${text.slice(0, 300)}`;
  assert.ok(ms < 5000, `${what}; it took ${Math.round(ms)} ms`);
  assert.ok(res.status !== 500, `${what}: a body may be refused, never crash the node (${faults.slice(faultsBefore).join(' | ')})`);
  assert.deepEqual(faults.slice(faultsBefore), [], `${what}: the node logged a fault of its own`);
  if (res.status >= 400) {
    const body = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    assert.equal(typeof body.error?.code, 'string', `${what}: a refusal has a code`);
    assert.notEqual(body.error!.code, 'internal', what);
    assert.ok(typeof body.error!.message === 'string' && body.error!.message.length > 5, `${what}: a refusal says why`);
    assert.deepEqual(tableDigests(node.store, BY_DESIGN), before, `${what}: a refused body changes no table`);
  }
  return res.status;
}

// ---- Bodies ----

const someone = didFromPublicKey(generateKeyPair().publicKey);
const urn = String(image.url);

/** Values a field may hold: near-valid ids, URNs and addresses, text long and short, and JSON of any other kind. */
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  { weight: 3, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  {
    weight: 2,
    arbitrary: fc.constantFrom(
      someone,
      node.did,
      `did:key:z6Mk${'1'.repeat(44)}`,
      first.noteId,
      apId(someone, '/objects/1'),
      `AP://${node.did}/actor`,
      urn,
      urn.slice(0, -1) + 'B',
      urn.toLowerCase(),
      'urn:eris:',
      '/ip4/127.0.0.1/tcp/1',
      '/ip4/1.2.3.4/tcp/99999/p2p/QmNope',
      'https://example.com/x',
      '',
      ' ',
      '\u202e\u0000',
      'x'.repeat(5001),
    ),
  },
  { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.constantFrom(-1, 0, 1, 730, 731, 1e300)) },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
);

/** Attachment objects as the web app sends them, with every member possibly wrong. */
const attachmentish = fc.record(
  {
    type: fc.oneof(fc.constantFrom('Image', 'Document', 'Video', 'Audio'), fieldValue),
    url: fc.oneof(fc.constant(urn), fieldValue),
    mediaType: fc.oneof(fc.constantFrom('image/png', 'image/svg+xml', 'text/html', 'video/mp4'), fieldValue),
    size: fc.oneof(fc.constant(PNG_1PX.length), fieldValue),
    name: fieldValue,
    src: fieldValue,
  },
  { requiredKeys: [] },
);

/** A JSON object with the route's own members (each maybe wrong) and sometimes others. */
function routeBody(fields: Record<string, fc.Arbitrary<unknown>>): fc.Arbitrary<unknown> {
  return fc
    .tuple(fc.record(fields, { requiredKeys: [] }), fc.dictionary(fc.string({ maxLength: 10 }), fieldValue, { maxKeys: 2 }), fc.boolean())
    .map(([own, extra, withExtra]) => (withExtra ? { ...extra, ...own } : own));
}

/** A signed activity of the owner's, by the paired device's key (as a device posts through /api/outbox), changed or not. */
const deviceActivity = fc
  .tuple(
    fc.option(fc.array(attachmentish, { minLength: 1, maxLength: 2 }), { nil: undefined }),
    jsonMutations(['object', 'actor', 'id', 'published', 'type', 'attachment', 'inReplyTo', 'url']),
    fc.constantFrom('as it was signed', 'changed', 'changed and signed again'),
  )
  .map(([attachment, m, how]) => {
    const doc = buildCreate(node.did, buildNote(node.did, { text: 'from the device', ...(attachment ? { attachment: attachment as JsonObject[] } : {}) }));
    if (how === 'as it was signed') return signDocument(doc, deviceKey);
    if (how === 'changed') return mutateJson(signDocument(doc, deviceKey), m);
    const changed = mutateJson(doc, m);
    if (typeof changed !== 'object' || changed === null || Array.isArray(changed) || 'proof' in changed) return changed;
    try {
      return signDocument(changed as JsonObject, deviceKey);
    } catch {
      return changed;
    }
  });

/** The body of a call: the route's own shape mostly, or any JSON, or bytes that are not JSON at all; usually labelled JSON. */
function callsTo(method: string, path: string, shaped: fc.Arbitrary<unknown>): fc.Arbitrary<Call> {
  const body = fc.oneof(
    { weight: 4, arbitrary: shaped.map((v): string | Uint8Array => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v): string | Uint8Array => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: outsideBytes(200).map((b): string | Uint8Array => b) },
    { weight: 1, arbitrary: fc.tuple(shaped, fc.nat()).map(([v, cut]): string | Uint8Array => (JSON.stringify(v) ?? 'null').slice(0, cut % 40)) },
  );
  const type = fc.oneof(
    { weight: 6, arbitrary: fc.constant('application/json') },
    fc.constantFrom('application/activity+json', 'text/plain', 'application/json; charset=latin1', undefined),
  );
  return fc.record({ method: fc.constant(method), path: fc.constant(path), body, type });
}

const profileBody = routeBody({ name: fieldValue, summary: fieldValue, icon: fc.oneof(attachmentish, fieldValue) });
const postBody = routeBody({ text: fieldValue, inReplyTo: fieldValue, attachment: fc.oneof(fc.array(attachmentish, { maxLength: 3 }), fieldValue) });

const ownerCalls: fc.Arbitrary<Call> = fc.oneof(
  callsTo('POST', '/api/pair', routeBody({ code: fieldValue, name: fieldValue, publicKey: fieldValue, signature: fieldValue, bearer: fieldValue })),
  callsTo(
    'POST',
    '/api/session',
    routeBody({ publicKey: fc.oneof(fc.constant(device.publicKey), fieldValue), nonce: fieldValue, signature: fieldValue, bearer: fieldValue }),
  ),
  callsTo('PUT', '/api/profile', profileBody),
  callsTo('POST', '/api/posts', postBody),
  callsTo('POST', '/api/outbox', fc.oneof(deviceActivity, fieldValue)),
  callsTo('POST', '/api/notifications/read', routeBody({})),
  callsTo('POST', '/api/follows', routeBody({ target: fieldValue })),
  callsTo('POST', '/api/blocks', routeBody({ did: fieldValue })),
  callsTo('POST', '/api/devices/pairing', routeBody({})),
  callsTo('PATCH', '/api/settings', routeBody({ keepFollowedMedia: fieldValue, deviceLifetimeDays: fieldValue, discoverable: fieldValue })),
  fc
    .record({
      body: fc.oneof(fc.constant(new Uint8Array(PNG_1PX)), outsideBytes(300), fc.constant(new Uint8Array(0))),
      type: fc.constantFrom('image/png', 'image/png; charset=binary', 'text/html', 'application/octet-stream', 'image/', undefined),
      name: fc.option(fc.string({ unit: fc.constantFrom(...'ab./\\%2e%00 '), maxLength: 20 }), { nil: undefined }),
    })
    .map(({ body, type, name }): Call => ({
      method: 'POST',
      path: '/api/media',
      body,
      type,
      ...(name !== undefined ? { headers: { 'x-file-name': name } } : {}),
    })),
);

const controlCalls: fc.Arbitrary<Call> = fc.oneof(
  callsTo('POST', '/post', postBody),
  callsTo('POST', '/profile', profileBody),
  callsTo('POST', '/follow', routeBody({ target: fieldValue })),
  callsTo('POST', '/unfollow', routeBody({ did: fieldValue })),
  callsTo('POST', '/fetch', routeBody({ urn: fieldValue })),
  callsTo('POST', '/pair', routeBody({})),
  callsTo('POST', '/devices/revoke', routeBody({ id: fieldValue })),
);

// ---- Backups: one written by the node, and what a reader makes of it changed ----

const backupFile = join(dir(), 'owner.kith');
exportBackup(node, backupFile);
const backupLines = readFileSync(backupFile, 'utf8').split('\n').slice(0, -1);
assert.ok(backupLines.some((l) => l.startsWith('{"root":')) && backupLines.some((l) => l.startsWith('{"ref":')), 'the backup carries a tree and its block');
const ownerKey = keyPairFromSeed(nodeSeed);

/** A backup's lines changed, its manifest signed again by its owner over them (so the checks past the signature run), or left as it was. */
function resignedBackup(lines: readonly string[]): string {
  const manifest = JSON.parse(backupLines.at(-1)!) as JsonObject;
  const body = lines.join('\n') + '\n';
  const { proof: _proof, ...unsigned } = manifest;
  let counts: JsonObject = {};
  try {
    const h = JSON.parse(lines[0] ?? '') as JsonObject;
    counts = { objects: h.objects ?? null, trees: h.trees ?? null, blocks: h.blocks ?? null };
  } catch {
    // A header that is not JSON: the manifest keeps its counts.
  }
  const signed = signDocument({ ...unsigned, ...counts, sha256: createHash('sha256').update(body).digest('hex') }, ownerKey);
  return body + JSON.stringify(signed) + '\n';
}

interface LineEdit {
  readonly kind: 'flip' | 'drop' | 'duplicate' | 'swap' | 'insert' | 'json';
  readonly line: number;
  readonly pos: number;
  readonly text: string;
  readonly mutations: Parameters<typeof mutateJson>[1];
}

const lineEdits = fc.array(
  fc.record({
    kind: fc.constantFrom<LineEdit['kind']>('flip', 'drop', 'duplicate', 'swap', 'insert', 'json'),
    line: fc.nat(),
    pos: fc.nat(),
    text: fc.string({ unit: 'binary', maxLength: 8 }),
    mutations: jsonMutations(['type', 'version', 'actor', 'objects', 'trees', 'blocks', 'root', 'blockSize', 'level', 'reasons', 'ref', 'block']),
  }),
  { minLength: 1, maxLength: 3 },
);

function editLines(lines: readonly string[], edits: readonly LineEdit[]): string[] {
  const out = [...lines];
  for (const e of edits) {
    const i = e.line % out.length;
    const l = out[i] ?? '';
    switch (e.kind) {
      case 'flip':
        out[i] = l.slice(0, e.pos % (l.length + 1)) + e.text + l.slice((e.pos % (l.length + 1)) + 1);
        break;
      case 'drop':
        out.splice(i, 1);
        break;
      case 'duplicate':
        out.splice(i, 0, l);
        break;
      case 'swap':
        out[i] = out[e.pos % out.length]!;
        out[e.pos % out.length] = l;
        break;
      case 'insert':
        out.splice(i, 0, e.text);
        break;
      case 'json':
        try {
          out[i] = JSON.stringify(mutateJson(JSON.parse(l), e.mutations)) ?? '';
        } catch {
          out[i] = e.text;
        }
        break;
    }
    if (out.length === 0) out.push(e.text);
  }
  return out;
}

// ---- The checks, one input at a time (properties and regressions share them) ----

/** What imports of changed backups came to, printed: a fuzz that never gets past the manifest proves little. */
const backupOutcomes: Record<string, number> = {};

const checks: Record<string, (input: unknown) => void | Promise<void>> = {
  async 'owner-api'(input) {
    const c = input as { method: string; path: string; body: string; type?: string };
    await checkCall(server.url, device.token!, { method: c.method, path: c.path, body: c.body, type: c.type ?? 'application/json' });
  },
  async control(input) {
    const c = input as { path: string; body: string };
    await checkCall(control.info.url, control.info.token, { method: 'POST', path: c.path, body: c.body, type: 'application/json' });
  },
  /** A device-signed Create whose note carries this attachment, sent to /api/outbox. */
  async 'outbox-attachment'(input) {
    const doc = signDocument(buildCreate(node.did, buildNote(node.did, { text: 'with an attachment', attachment: [input as JsonObject] })), deviceKey);
    await checkCall(networkedServer.url, device.token!, { method: 'POST', path: '/api/outbox', body: JSON.stringify(doc), type: 'application/json' });
  },
  'backup-line'(input) {
    const line = Buffer.from(input as string, 'utf8');
    decodes('parseHeader', () => parseHeader(line));
    decodes('parseTreeLine', () => parseTreeLine(line, 'line 2'));
    decodes('parseBlockLine', () => parseBlockLine(line, 'line 3'));
    decodes('parseJsonLine', () => parseJsonLine(line, 'line 4'));
  },
  async 'backup-file'(input) {
    const path = join(dir(), 'changed.kith');
    writeFileSync(path, input as string);
    const before = tableDigests(node.store, BY_DESIGN);
    const r = await decodesAsync('importBackup', () => importBackup(node, path));
    backupOutcomes[r.ok ? 'read' : r.error.code] = (backupOutcomes[r.ok ? 'read' : r.error.code] ?? 0) + 1;
    if (!r.ok) assert.deepEqual(tableDigests(node.store, BY_DESIGN), before, `a refused backup changes no table (${r.error.message})`);
    else assert.equal(r.value.stored, 0, 'what the node holds already comes back as duplicates');
  },
};

test('regressions: every API body and backup that once failed is refused cleanly', async () => {
  const cases: RegressionCase[] = regressionCases('api');
  for (const c of cases) {
    const check = checks[c.target];
    assert.ok(check, `regression "${c.name}" names a target this file checks (${c.target})`);
    await check(c.input);
  }
});

test(
  'owner API: every body a device may send is answered, or refused with a code and a reason and no table changed; never a 500',
  { timeout: 60_000 },
  async () => {
    const statuses: Record<string, number> = {};
    await runProperty(
      'owner API bodies',
      ownerCalls,
      async (call) => {
        const status = await checkCall(server.url, device.token!, call);
        statuses[status] = (statuses[status] ?? 0) + 1;
      },
      { seed, numRuns: 250, budgetMs: 3500 },
    );
    console.log(`owner API statuses: ${JSON.stringify(statuses)}`);
    // Still paired and working after all of it.
    assert.equal((await device.call('GET', '/api/me')).status, 200);
  },
);

test('owner API with the network attached: what a device publishes is stored and pushed, or refused with no table changed', { timeout: 60_000 }, async () => {
  const statuses: Record<string, number> = {};
  await runProperty(
    'owner API publishing with the network',
    fc.oneof(callsTo('POST', '/api/posts', postBody), callsTo('POST', '/api/outbox', deviceActivity), callsTo('PUT', '/api/profile', profileBody)),
    async (call) => {
      const status = await checkCall(networkedServer.url, device.token!, call);
      statuses[status] = (statuses[status] ?? 0) + 1;
    },
    { seed, numRuns: 100, budgetMs: 2500 },
  );
  console.log(`owner API with the network, statuses: ${JSON.stringify(statuses)}`);
});

test(
  'control endpoint: every body the kith command may send is answered, or refused with a code and a reason and no table changed',
  { timeout: 60_000 },
  async () => {
    const statuses: Record<string, number> = {};
    await runProperty(
      'control bodies',
      controlCalls,
      async (call) => {
        const status = await checkCall(control.info.url, control.info.token, call);
        statuses[status] = (statuses[status] ?? 0) + 1;
      },
      { seed, numRuns: 200, budgetMs: 2500 },
    );
    console.log(`control statuses: ${JSON.stringify(statuses)}`);
  },
);

test('backup lines: any bytes are refused with a KithError or read; what the format writes it reads back', async () => {
  const line = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.tuple(fc.constantFrom(...backupLines), jsonMutations()).map(([l, m]) => JSON.stringify(mutateJson(JSON.parse(l), m)) ?? ''),
    fc
      .tuple(fc.constantFrom(...backupLines), fc.nat(), fc.string({ unit: 'binary', maxLength: 4 }))
      .map(([l, at, s]) => l.slice(0, at % (l.length + 1)) + s + l.slice(at % (l.length + 1))),
  );
  await runProperty('backup lines', line, (l) => checks['backup-line']!(l), { seed, numRuns: 400, budgetMs: 1500 });
  const tree = fc.record({
    root: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    blockSize: fc.constantFrom<1024 | 32768>(1024, 32768),
    level: fc.nat({ max: 6 }),
    reasons: fc.subarray(['own', 'sealed'], { minLength: 1 }),
    more: fc.array(fc.uint8Array({ minLength: 32, maxLength: 32 }), { maxLength: 5 }),
  });
  await runProperty(
    'backup lines round trip',
    fc.tuple(tree, fc.uint8Array({ minLength: 1024, maxLength: 1024 }), fc.uint8Array({ minLength: 32, maxLength: 32 })),
    ([t, block, ref]) => {
      const references = [t.root, ...t.more];
      for (const l of treeLines({ root: t.root, blockSize: t.blockSize, level: t.level, reasons: t.reasons, references })) {
        const back = parseTreeLine(Buffer.from(l), 'a tree line');
        assert.deepEqual(
          back.references.map((r) => Buffer.from(r).toString('hex')),
          references.map((r) => Buffer.from(r).toString('hex')),
        );
        assert.equal(back.level, t.level);
      }
      const b = parseBlockLine(Buffer.from(blockLine({ reference: ref, block })), 'a block line');
      assert.deepEqual(
        [b.reference, b.block].map((x) => Buffer.from(x).toString('hex')),
        [ref, block].map((x) => Buffer.from(x).toString('hex')),
      );
      const h = parseHeader(Buffer.from(headerLine(node.did, '2025-01-01T00:00:00Z', { objects: t.level, trees: t.more.length, blocks: 1 })));
      assert.deepEqual(h, { version: 2, actor: node.did, counts: { objects: t.level, trees: t.more.length, blocks: 1 } });
    },
    { seed, numRuns: 150, budgetMs: 1000 },
  );
});

test('the line reader: any file, any line limit, reads the lines a newline split gives, or says the line is too long', async () => {
  const file = join(dir(), 'lines');
  await runProperty(
    'line reader',
    fc.tuple(
      fc.uint8Array({ maxLength: 3000 }).map((b) => b.map((x) => (x % 7 === 0 ? 0x0a : x))),
      fc.nat({ max: 600 }),
    ),
    ([content, max]) => {
      writeFileSync(file, content);
      const reader = new LineReader(file);
      try {
        const expected = Buffer.from(content).toString('latin1').split('\n');
        const last = expected.pop()!;
        for (const want of expected) {
          const r = decodes('LineReader.next', () => reader.next(max));
          assert.ok(r.ok);
          if (want.length > max) {
            assert.equal(r.value.kind, 'too-long');
            return;
          }
          assert.equal(r.value.kind, 'line');
          assert.equal(r.value.kind === 'line' && r.value.bytes.toString('latin1'), want);
        }
        const end = reader.next(max);
        if (last.length > max) assert.equal(end.kind, 'too-long');
        else if (last.length === 0) assert.equal(end.kind, 'end');
        else assert.ok(end.kind === 'cut' && end.bytes.toString('latin1') === last);
      } finally {
        reader.close();
      }
    },
    { seed, numRuns: 300, budgetMs: 1500 },
  );
});

test(
  'backup files: changed ones, signed again by their owner or not, are refused with a KithError and change no table; the node reads back what it wrote',
  { timeout: 60_000 },
  async () => {
    const file = fc.oneof(
      { weight: 3, arbitrary: lineEdits.map((e) => resignedBackup(editLines(backupLines, e))) },
      { weight: 2, arbitrary: lineEdits.map((e) => editLines(backupLines, e).join('\n') + '\n') },
      {
        weight: 1,
        arbitrary: fc.tuple(fc.nat(), fc.nat({ max: 255 })).map(([at, b]) => {
          const text = backupLines.join('\n') + '\n';
          const i = at % text.length;
          return text.slice(0, i) + String.fromCharCode(b) + text.slice(i + 1);
        }),
      },
      { weight: 1, arbitrary: fc.nat().map((cut) => (backupLines.join('\n') + '\n').slice(0, cut % (backupLines.join('\n').length + 1))) },
      { weight: 1, arbitrary: outsideBytes(300).map((b) => Buffer.from(b).toString('utf8')) },
    );
    await runProperty('backup files', file, (text) => checks['backup-file']!(text), { seed, numRuns: 150, budgetMs: 3000 });
    console.log(`backup outcomes: ${JSON.stringify(backupOutcomes)}`);

    // Round trip: a node restored from the same seed takes the backup whole.
    const restored = KithNode.init(dir(), { seed: nodeSeed }).node;
    try {
      const summary = await importBackup(restored, backupFile);
      assert.equal(summary.objects, (JSON.parse(backupLines[0]!) as { objects: number }).objects);
      const objectLines = backupLines.slice(1, 1 + summary.objects);
      for (const line of objectLines) assert.ok(restored.store.objects.byDigest(sha256Hex(line)), `the restored node holds ${line.slice(0, 80)}`);
      const roots = restored.store.blocks.pinnedRoots().map((r) => Buffer.from(r).toString('hex'));
      assert.deepEqual(roots, [Buffer.from(parseErisUrn(urn).rootReference).toString('hex')], 'the restored node keeps the file the backup carries');
    } finally {
      restored.close();
    }
  },
);
