import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Worker } from 'node:worker_threads';
import { generateKeyPair } from '../src/core/ed25519.js';
import { silentLogger } from '../src/core/log.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { startApiServer } from '../src/api/api-server.js';
import { api, pairRequest } from './device-client.js';
import { tempDir } from './helpers.js';

/**
 * The API's front thread answers reads while the node's main thread is busy:
 * here the main thread is blocked outright (Atomics.wait) while another
 * thread asks for the timeline and the node's status. The timeline (a read,
 * answered by the front over its read-only connection) comes back while the
 * main thread is still blocked; the status (relayed to the owner API on the
 * main thread) comes back only after it is free again.
 */

// Runs in its own thread, so it can ask while this test's main thread is blocked.
const ASKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { base, token, flag } = workerData;
const cell = new Int32Array(flag);
const auth = { authorization: 'Bearer ' + token };
let statusAt = null;
parentPort.once('message', async () => {
  const status = fetch(base + '/api/status', { headers: auth }).then(async (r) => { statusAt = Date.now(); return { code: r.status, body: await r.json() }; });
  const r = await fetch(base + '/api/timeline', { headers: auth });
  const timeline = { code: r.status, body: await r.json() };
  const statusBeforeTimeline = statusAt !== null;
  Atomics.store(cell, 0, 1);
  Atomics.notify(cell, 0);
  parentPort.postMessage({ timeline, statusBeforeTimeline, status: await status });
});
`;

test('reads are answered while the main thread is blocked; what changes waits for it', { timeout: 120_000 }, async () => {
  const { node } = KithNode.init(tempDir('kith-front-'));
  const service = new KithService(node, { log: silentLogger });
  const server = await startApiServer(service, { port: 0, host: '127.0.0.1' });
  const asker: { worker?: Worker } = {};
  try {
    const offer = service.devices.offer(server.url);
    const paired = await api(server.url, 'POST', '/api/pair', pairRequest(generateKeyPair(), offer.code));
    assert.equal(paired.status, 201, JSON.stringify(paired.body));
    await service.publishing.post({ text: 'written on the main thread, read on the front' });

    const flag = new SharedArrayBuffer(4);
    const worker = new Worker(ASKER, { eval: true, workerData: { base: server.url, token: paired.body.token, flag } });
    asker.worker = worker;
    const answered = new Promise<{ timeline: { code: number; body: any }; statusBeforeTimeline: boolean; status: { code: number; body: any } }>(
      (resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      },
    );
    worker.postMessage('go');
    // Blocks this thread (the node's main thread: its network, its owner API) until the timeline is answered.
    const woke = Atomics.wait(new Int32Array(flag), 0, 0, 60_000);
    assert.equal(woke, 'ok', 'the timeline was answered while the main thread was blocked');

    const r = await answered;
    assert.equal(r.timeline.code, 200);
    assert.deepEqual(
      r.timeline.body.items.map((p: { text: string }) => p.text),
      ['written on the main thread, read on the front'],
    );
    assert.equal(r.statusBeforeTimeline, false, 'the status, relayed to the main thread, was not answered while it was blocked');
    assert.equal(r.status.code, 200);
    assert.equal(r.status.body.did, node.did, 'the relayed request was answered once the main thread was free');
  } finally {
    await asker.worker?.terminate();
    await server.close();
    node.close();
  }
});
