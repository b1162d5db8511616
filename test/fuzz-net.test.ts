import '../src/cli/polyfills.js';
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { KithError } from '../src/core/errors.js';
import { decodeMessage, encodeMessage, Reconciler } from '../src/core/reconcile.js';
import { decodeErisToBytes, encodeEris, initEris } from '../src/core/eris.js';
import { Store } from '../src/store/store.js';
import { encodeAnswer, encodeWant, parseAnswer, parseWant } from '../src/net/block-wire.js';
import { serveSync, syncScope } from '../src/net/sync.js';
import { BlockFetcher } from '../src/net/block-fetcher.js';
import { type Frames } from '../src/net/frames.js';
import { tempDir } from './helpers.js';
import { decodes, decodesAsync, fuzzSeed, outsideBytes, regressionBytes, regressionCases, runProperty, tableDigests } from './fuzz-support.js';
import {
  clientOptions,
  clientStore,
  closeNetFixtures,
  editFrames,
  TIMES,
  frame,
  frameEdits,
  genuineDigests,
  HELLO,
  objectDigests,
  reconcileMessage,
  RECORD_TABLES,
  recorded,
  scope,
  ScriptedFrames,
  serverStore,
  syncFrame,
} from './fuzz-net-support.js';

/**
 * The fuzz suite, network layer, its decoders: every frame of every Kith
 * protocol. The blocks protocol's WANTs and answers, reconciliation messages,
 * the sync server and client over scripted frames (on real SQLite stores), and
 * the blocks client against a peer whose answers are changed: they take
 * arbitrary and mutated frames and may only return or refuse with a KithError;
 * frames with an encoder read back as written. A real libp2p host takes the
 * same frames in test/fuzz-net-host.test.ts.
 */

const seed = fuzzSeed('fuzz-net');
await initEris();

const dirs: string[] = [];
const dir = (): string => {
  const d = tempDir('kith-fuzz-net-');
  dirs.push(d);
  return d;
};
const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const c of cleanups.reverse()) await c();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  closeNetFixtures();
});

const checks: Record<string, (input: Uint8Array | Uint8Array[]) => void | Promise<void>> = {
  'blocks-want'(input) {
    const f = input as Uint8Array;
    const w = decodes('parseWant', () => parseWant(f));
    if (w.ok) assert.deepEqual(encodeWant(w.value), f, 'a WANT frame reads back as written');
  },
  'blocks-answer'(input) {
    const f = input as Uint8Array;
    const a = decodes('parseAnswer', () => parseAnswer(f));
    if (a.ok) assert.deepEqual(encodeAnswer(a.value.kind === 'block' ? a.value.block : undefined), f, 'an answer frame reads back as written');
  },
  reconcile(input) {
    const m = input as Uint8Array;
    const d = decodes('decodeMessage', () => decodeMessage(m));
    if (d.ok) assert.deepEqual(decodeMessage(encodeMessage(d.value)), d.value, 'a reconciliation message reads back as written');
    const index = serverStore.scopeIndexes.index(scope);
    decodes('Reconciler.respond', () => new Reconciler(index).respond(m));
    decodes('Reconciler.reconcile', () => {
      const r = new Reconciler(index);
      r.initiate();
      return r.reconcile(m);
    });
  },
  /** The sync server answering scripted client frames: a refusal or an answer, and the store it serves from never changes. */
  async 'sync-server'(input) {
    const frames = new ScriptedFrames([...(input as Uint8Array[])]);
    const before = tableDigests(serverStore);
    await decodesAsync('serveSync', () => serveSync(frames, { store: serverStore, serves: (x) => x === scope }));
    assert.deepEqual(tableDigests(serverStore), before, 'serving changes no table');
    for (const f of frames.written) assert.ok(f.length > 0 && f[0]! >= HELLO && f[0]! <= TIMES, `the server writes only frames of the protocol (type ${f[0]})`);
  },
  /** The sync client taking scripted server frames: it stores only genuine objects, and a refusal that stored nothing changed nothing. */
  async 'sync-client'(input) {
    const store = clientStore();
    try {
      const before = tableDigests(store, RECORD_TABLES);
      const objectsBefore = objectDigests(store);
      const frames = new ScriptedFrames([...(input as Uint8Array[])]);
      const r = await decodesAsync('syncScope', () => syncScope(frames, scope, clientOptions(store)));
      const objectsAfter = objectDigests(store);
      for (const d of objectsAfter) assert.ok(genuineDigests.has(d), 'only objects the author signed are stored');
      if (!r.ok && objectsAfter.size === objectsBefore.size) {
        assert.deepEqual(tableDigests(store, RECORD_TABLES), before, `a refused sync that stored nothing changed no table (${r.error.message})`);
      }
    } finally {
      store.close();
    }
  },
};

test('regressions: every network input that once failed is refused cleanly', async () => {
  for (const c of regressionCases('net')) {
    const check = checks[c.target];
    assert.ok(check, `regression "${c.name}" names a target this file checks (${c.target})`);
    const input = Array.isArray(c.input) ? (c.input as string[]).map((h) => new Uint8Array(Buffer.from(h, 'hex'))) : regressionBytes(c);
    await check(input);
  }
});

test('blocks frames: WANTs and answers of any bytes are refused with a KithError or read back as written', async () => {
  const ref = fc.uint8Array({ minLength: 32, maxLength: 32 });
  const want = fc.oneof(
    outsideBytes(400),
    fc.array(ref, { minLength: 1, maxLength: 8 }).map((refs) => encodeWant(refs)),
    fc.tuple(fc.nat({ max: 300 }), fc.nat({ max: 40 })).map(([n, extra]) => Uint8Array.from([1, ...new Uint8Array(n * 32 + extra)])),
  );
  await runProperty('blocks WANT frames', want, (f) => checks['blocks-want']!(f), { seed, numRuns: 300, budgetMs: 1000 });
  const answer = fc.oneof(
    outsideBytes(400),
    fc.uint8Array({ maxLength: 2000 }).map((b) => encodeAnswer(b)),
    fc.constant(encodeAnswer(undefined)),
  );
  await runProperty('blocks answer frames', answer, (f) => checks['blocks-answer']!(f), { seed, numRuns: 300, budgetMs: 1000 });
});

test('reconciliation messages: any bytes are refused with a KithError or answered; what decodes reads back as written', async () => {
  await runProperty('reconciliation messages', reconcileMessage, (m) => checks.reconcile!(m), { seed, numRuns: 300, budgetMs: 2000 });
});

test('sync over scripted frames: server and client take changed and random frames, refuse with a KithError, and store only what the author signed', async () => {
  const clientScript = fc.oneof(
    { weight: 3, arbitrary: frameEdits.map((e) => editFrames(recorded.fromClient, e)) },
    { weight: 1, arbitrary: fc.array(syncFrame, { maxLength: 5 }) },
  );
  await runProperty('sync server', clientScript, (frames) => checks['sync-server']!(frames), { seed, numRuns: 150, budgetMs: 2000 });
  const serverScript = fc.oneof(
    { weight: 3, arbitrary: frameEdits.map((e) => editFrames(recorded.fromServer, e)) },
    { weight: 1, arbitrary: fc.array(syncFrame, { maxLength: 5 }).map((fs) => [frame(HELLO), ...fs]) },
  );
  await runProperty('sync client', serverScript, (frames) => checks['sync-client']!(frames), { seed, numRuns: 100, budgetMs: 3000 });
});

// ---- The blocks client: a peer that answers WANTs from a tree it holds, with answers changed ----

interface AnswerEdit {
  readonly at: number;
  readonly kind: 'flip' | 'garbage' | 'retype' | 'drop' | 'none' | 'extra' | 'cut';
  readonly byte: number;
}

/** A blocks peer in memory: answers each WANT it is sent from the blocks it holds, with the edits applied by answer number. */
class BlocksPeer implements Frames {
  bytesRead = 0;
  bytesWritten = 0;
  private readonly queue: Uint8Array[] = [];
  private answered = 0;
  private wake: (() => void) | undefined;
  constructor(
    private readonly held: ReadonlyMap<string, Uint8Array>,
    private readonly edits: readonly AnswerEdit[],
  ) {}
  async writeFrame(want: Uint8Array): Promise<void> {
    for (const ref of parseWant(want)) {
      const answer = encodeAnswer(this.held.get(Buffer.from(ref).toString('hex')));
      const edit = this.edits.find((e) => e.at === this.answered);
      this.answered++;
      if (edit === undefined) this.queue.push(answer);
      else if (edit.kind === 'flip') this.queue.push(answer.map((b, i) => (i === 1 + (edit.byte % Math.max(1, answer.length - 1)) ? b ^ 0x5a : b)));
      else if (edit.kind === 'garbage') this.queue.push(Uint8Array.from([2, ...new Uint8Array(1024).fill(edit.byte)]));
      else if (edit.kind === 'retype') this.queue.push(Uint8Array.from([edit.byte % 8, ...answer.subarray(1)]));
      else if (edit.kind === 'none') this.queue.push(encodeAnswer(undefined));
      else if (edit.kind === 'extra') this.queue.push(answer, answer);
      else if (edit.kind === 'cut') this.queue.push(answer.subarray(0, edit.byte % answer.length));
      // 'drop': no answer at all, as a peer that stops talking.
    }
    this.wake?.();
  }
  async readFrame(maxBytes: number, timeoutMs: number): Promise<Uint8Array | null> {
    if (this.queue.length === 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
    const f = this.queue.shift();
    if (f === undefined) throw new KithError('timeout', `no complete frame within ${timeoutMs} ms`);
    if (f.length > maxBytes) throw new KithError('too-large', `frame of ${f.length} bytes; the limit is ${maxBytes}`);
    return f;
  }
  async close(): Promise<void> {}
  reset(): void {}
}

test(
  'the blocks client: a tree fetched from a peer whose answers are changed, beside an honest one, comes whole; the changed peer alone gets a KithError',
  { timeout: 60_000 },
  async () => {
    const store = Store.open(join(dir(), 'blocks.db'));
    cleanups.push(() => store.close());
    const edits = fc.array(
      fc.record({
        at: fc.nat({ max: 30 }),
        kind: fc.constantFrom<AnswerEdit['kind']>('flip', 'garbage', 'retype', 'drop', 'none', 'extra', 'cut'),
        byte: fc.nat({ max: 2000 }),
      }),
      { maxLength: 3 },
    );
    const outcomes: Record<string, number> = {};
    await runProperty(
      'blocks client',
      fc.record({ content: fc.uint8Array({ minLength: 1, maxLength: 24 * 1024 }), edits, honestToo: fc.boolean() }),
      async ({ content, edits: changes, honestToo }) => {
        const held = new Map<string, Uint8Array>();
        const cap = await encodeEris(content, (ref, block) => void held.set(Buffer.from(ref).toString('hex'), block.slice()), { blockSize: 1024 });
        store.blocks.pin(cap, 'fuzz');
        const misbehaved: string[] = [];
        const fetcher = new BlockFetcher<string>({
          store,
          open: async (peer) => (peer === 'honest' ? new BlocksPeer(held, []) : new BlocksPeer(held, changes)),
          onMisbehaviour: (peer) => void misbehaved.push(peer),
          limits: { readTimeoutMs: 100 },
        });
        const r = await decodesAsync('fetchTree', () => fetcher.fetchTree(cap, honestToo ? ['changed', 'honest'] : ['changed']));
        const outcome = r.ok ? 'whole' : r.error.code;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        assert.ok(!misbehaved.includes('honest'), 'an honest peer is never blamed');
        if (honestToo || changes.length === 0) assert.ok(r.ok, `with an honest peer the tree comes whole (${r.ok ? '' : r.error.message})`);
        if (r.ok) assert.deepEqual(await decodeErisToBytes(cap, (ref) => store.blocks.get(ref)), content, 'what was fetched decodes to the content');
        store.blocks.unpin(cap.rootReference, 'fuzz');
      },
      { seed, numRuns: 60, budgetMs: 1500, caseTimeoutMs: 15_000 },
    );
    console.log(`blocks client outcomes: ${JSON.stringify(outcomes)}`);
  },
);
