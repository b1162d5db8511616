import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ItemIndex, Reconciler, decodeMessage, encodeMessage, INFINITY, type ReconcileOptions } from '../src/core/reconcile.js';
import type { ErrorCode } from '../src/core/errors.js';
import { refusedWith } from './helpers.js';
import { seededRandom } from './seeded-random.js';

type Item = { created: number; digest: Uint8Array };

const random = seededRandom('reconcile digests');

function items(n: number, start = 1_700_000_000_000): Item[] {
  // Several items share a millisecond, as posts imported in bulk do.
  return Array.from({ length: n }, (_, i) => ({ created: start + Math.floor(i / 3), digest: random.bytes(32) }));
}

const hex = (d: Uint8Array) => Buffer.from(d).toString('hex');

/** Runs a whole reconciliation in memory, as the sync protocol does over a stream. */
function reconcile(a: Item[], b: Item[], opts?: ReconcileOptions) {
  const initiator = new Reconciler(ItemIndex.from(a), opts);
  const responder = new Reconciler(ItemIndex.from(b), opts);
  const need: string[] = [];
  const have: string[] = [];
  let msg: Uint8Array | null = initiator.initiate();
  let bytes = msg.length;
  let rounds = 0;
  while (msg) {
    const reply = responder.respond(msg);
    bytes += reply.length;
    rounds++;
    const r = initiator.reconcile(reply);
    need.push(...r.need.map(hex));
    have.push(...r.have.map(hex));
    msg = r.next;
    if (msg) bytes += msg.length;
    assert.ok(rounds < 50, 'reconciliation must end');
  }
  return { need: need.sort(), have: have.sort(), bytes, rounds };
}

function expected(a: Item[], b: Item[]) {
  const sa = new Set(a.map((i) => hex(i.digest)));
  const sb = new Set(b.map((i) => hex(i.digest)));
  return { need: [...sb].filter((x) => !sa.has(x)).sort(), have: [...sa].filter((x) => !sb.has(x)).sort() };
}

test('identical sets reconcile in one round with a few bytes', () => {
  const a = items(5000);
  const r = reconcile(a, a.slice().reverse());
  assert.deepEqual(r.need, []);
  assert.deepEqual(r.have, []);
  assert.equal(r.rounds, 1);
  assert.ok(r.bytes < 1000, `${r.bytes} bytes`);
});

test('finds exactly the difference both ways, for sets small and large, empty and not', () => {
  const cases: [number, number, number][] = [
    [0, 0, 0],
    [0, 10, 0],
    [10, 0, 0],
    [1, 1, 0],
    [100, 100, 5],
    [3000, 2000, 40],
    [20_000, 20_000, 50],
  ];
  for (const [onlyA, onlyB, shared] of cases) {
    const common = items(shared * 100 + 7);
    const a = [...common, ...items(onlyA, 1_700_000_000_500)];
    const b = [...common, ...items(onlyB, 1_700_000_000_900)];
    const r = reconcile(a, b);
    const e = expected(a, b);
    assert.deepEqual(r.need, e.need, `need for ${onlyA}/${onlyB}`);
    assert.deepEqual(r.have, e.have, `have for ${onlyA}/${onlyB}`);
  }
});

test('a new follower pulls a large set without any message growing with it', () => {
  const b = items(50_000);
  const initiator = new Reconciler(ItemIndex.from([]));
  const responder = new Reconciler(ItemIndex.from(b));
  let msg: Uint8Array | null = initiator.initiate();
  let need = 0;
  let largest = 0;
  while (msg) {
    const reply = responder.respond(msg);
    largest = Math.max(largest, reply.length, msg.length);
    const r = initiator.reconcile(reply);
    need += r.need.length;
    msg = r.next;
  }
  assert.equal(need, 50_000);
  assert.ok(largest < 2_000_000, `largest message ${largest} bytes`);
});

test('20,000 items each with 50 different: the exact difference, and bytes far below sending the set', () => {
  const common = items(20_000);
  const extraA = items(25, 1_700_000_001_000);
  const extraB = items(25, 1_700_000_002_000);
  // The differences are scattered through the order, not bunched at the end.
  for (const [i, x] of extraA.entries()) x.created = common[i * 700]!.created;
  for (const [i, x] of extraB.entries()) x.created = common[i * 700 + 300]!.created;
  const a = [...common.slice(0, 19_975), ...extraA];
  const b = [...common.slice(0, 19_975), ...extraB];
  const r = reconcile(a, b);
  const e = expected(a, b);
  assert.deepEqual(r.need, e.need);
  assert.deepEqual(r.have, e.have);
  assert.equal(r.need.length + r.have.length, 50);
  const wholeSet = 20_000 * 32;
  assert.ok(r.bytes * 10 < wholeSet, `${r.bytes} bytes exchanged; listing the set would take ${wholeSet}`);
});

test('messages round-trip, and bad ones are refused with a reason', () => {
  const idx = ItemIndex.from(items(1000));
  const msg = new Reconciler(idx).initiate();
  assert.deepEqual(encodeMessage(decodeMessage(msg)), msg);
  const refuse = (bytes: Uint8Array, code: ErrorCode) => refusedWith(() => decodeMessage(bytes), code);
  refuse(Uint8Array.of(0x99), 'malformed'); // unknown version
  refuse(msg.subarray(0, msg.length - 3), 'malformed'); // truncated
  refuse(Uint8Array.of(0x61, 0, 0, 9), 'malformed'); // unknown mode
  refuse(Uint8Array.of(0x61, 5, 0, 0, 3, 0, 0), 'malformed'); // out of order: 4 then 2
  refuse(Uint8Array.of(0x61, 5, 0, 0), 'malformed'); // does not reach the end
  refuse(Uint8Array.of(0x61, 0, 40), 'malformed'); // prefix longer than a digest
  refuse(encodeMessage([{ upper: INFINITY, mode: 'ids', ids: Array.from({ length: 5000 }, () => new Uint8Array(32)) }]), 'too-large');
  refuse(new Uint8Array(5 * 1024 * 1024), 'too-large');
  // A responder never accepts an id reply.
  const reply = encodeMessage([{ upper: INFINITY, mode: 'ids-reply', holds: [], missing: [] }]);
  refusedWith(() => new Reconciler(idx).respond(reply), 'malformed');
});

test('when many ranges differ at once, replies stay within the limits and the difference is still found exactly', () => {
  // Tight limits stand in for the defaults at a million items with ten thousand different, where splitting every
  // differing range would pass 65,536 ranges two levels down.
  const limits = { maxRanges: 300, maxMessageBytes: 40_000, maxIdsPerRange: 4096 };
  const common = items(20_000);
  const a = common.filter((_, i) => i % 7 !== 0).concat(items(1500, 1_700_000_003_000));
  const b = common.filter((_, i) => i % 11 !== 0);
  const initiator = new Reconciler(ItemIndex.from(a), {}, limits);
  const responder = new Reconciler(ItemIndex.from(b), {}, limits);
  const need: string[] = [];
  const have: string[] = [];
  let msg: Uint8Array | null = initiator.initiate();
  let rounds = 0;
  while (msg) {
    // Each side decodes with the same limits, so a message over them would be refused here.
    const reply = responder.respond(msg);
    const r = initiator.reconcile(reply);
    need.push(...r.need.map(hex));
    have.push(...r.have.map(hex));
    msg = r.next;
    assert.ok(++rounds < 200, 'reconciliation must end');
  }
  const e = expected(a, b);
  assert.deepEqual(need.sort(), e.need);
  assert.deepEqual(have.sort(), e.have);
  assert.ok(rounds > 3, `cut replies take more round trips (${rounds})`);
});
