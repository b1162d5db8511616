import assert from 'node:assert/strict';
import { copyFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { encode as encodeVarint } from 'uint8-varint';
import { KithError, isPeerFault } from '../src/core/errors.js';
import { sha256 } from '../src/core/bytes.js';
import { keyPairFromSeed } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { outboxId } from '../src/core/apid.js';
import { signDocument } from '../src/core/proof.js';
import { buildActor, buildCreate, buildNote } from '../src/core/as2.js';
import { RECONCILE_VERSION } from '../src/core/reconcile.js';
import type { JsonObject } from '../src/core/types.js';
import { Store } from '../src/store/store.js';
import { Ingestor } from '../src/store/ingest.js';
import { serveSync, syncScope, type SyncClientOptions } from '../src/net/sync.js';
import type { Frames } from '../src/net/frames.js';
import { tempDir } from './helpers.js';
import { jsonMutations, mutateJson, outsideBytes } from './fuzz-support.js';

/**
 * What the network fuzz files (test/fuzz-net.test.ts, test/fuzz-net-host.test.ts)
 * share: an author's scope held whole by a server store and in part by a client,
 * frames in memory (scripted, or a pipe that records an honest sync), that
 * honest sync's frames, and generators of frames of every Kith protocol.
 */

const fixtureDirs: string[] = [];
const dir = (): string => {
  const d = tempDir('kith-fuzz-net-');
  fixtureDirs.push(d);
  return d;
};

/** Closes the stores made here and removes their files; for a test file's after(). */
export function closeNetFixtures(): void {
  serverStore.close();
  for (const d of fixtureDirs) rmSync(d, { recursive: true, force: true });
}

// ---- An author's scope, held whole by a server store and in part by a client template ----

const authorKey = keyPairFromSeed(sha256('fuzz-net author'));
export const author = didFromPublicKey(authorKey.publicKey);
export const scope = outboxId(author);
export const T0 = Date.UTC(2025, 0, 1);
export const genuine: JsonObject[] = [signDocument(buildActor(author, { name: 'Author' }, T0), authorKey, { created: new Date(T0) })];
for (let i = 0; i < 40; i++) {
  const at = T0 + (i + 1) * 1000;
  genuine.push(signDocument(buildCreate(author, buildNote(author, { text: `note ${i}` }, at), at), authorKey, { created: new Date(at) }));
}
const genuineBodies = genuine.map((d) => JSON.stringify(d));

export const serverStore = Store.open(join(dir(), 'server.db'));
new Ingestor(serverStore).ingestMany(genuineBodies);
export const genuineDigests = new Set<string>([...serverStore.objects.byOwner(author)].map((o) => o.digest));
assert.equal(genuineDigests.size, genuine.length);

/** A client that holds the first ten: copied per case, so every case starts from the same store. */
const templatePath = join(dir(), 'client-template.db');
{
  const t = Store.open(templatePath);
  new Ingestor(t).ingestMany(genuineBodies.slice(0, 10));
  t.db.pragma('wal_checkpoint(TRUNCATE)');
  t.close();
}
export function clientStore(): Store {
  const path = join(dir(), 'client.db');
  copyFileSync(templatePath, path);
  return Store.open(path);
}

/** The ingest callback sync's client gets, as the node's replication writes it (node/replication.ts). */
export function clientOptions(store: Store): SyncClientOptions {
  const ingestor = new Ingestor(store);
  return {
    store,
    ingest: async (bodies) => {
      let stored = 0;
      let refused = 0;
      let firstError: KithError | undefined;
      for (const r of ingestor.ingestMany(bodies, scope)) {
        if (r instanceof KithError) {
          refused++;
          if (isPeerFault(r)) firstError ??= r;
        } else if (r.status === 'stored') stored++;
      }
      return firstError ? { stored, refused, firstError } : { stored, refused };
    },
  };
}

// ---- Frames in memory: scripted from one side, or a pipe that records an honest exchange ----

/** Frames whose incoming side is a script; what the code under test writes is kept. */
export class ScriptedFrames implements Frames {
  bytesRead = 0;
  bytesWritten = 0;
  readonly written: Uint8Array[] = [];
  constructor(private readonly incoming: Uint8Array[]) {}
  async readFrame(maxBytes: number): Promise<Uint8Array | null> {
    const f = this.incoming.shift();
    if (f === undefined) return null;
    // As FrameStream refuses a frame from its length prefix alone.
    if (f.length > maxBytes) throw new KithError('too-large', `frame of ${f.length} bytes; the limit is ${maxBytes}`);
    this.bytesRead += f.length;
    return f;
  }
  async writeFrame(bytes: Uint8Array): Promise<void> {
    this.written.push(bytes.slice());
    this.bytesWritten += bytes.length;
  }
  async close(): Promise<void> {}
  reset(): void {}
}

/** Two ends of an in-memory stream of frames, each keeping what it wrote. */
function framePipe(): [PipeEnd, PipeEnd] {
  const a = new PipeEnd();
  const b = new PipeEnd();
  a.other = b;
  b.other = a;
  return [a, b];
}
class PipeEnd implements Frames {
  bytesRead = 0;
  bytesWritten = 0;
  readonly written: Uint8Array[] = [];
  other!: PipeEnd;
  private readonly queue: Uint8Array[] = [];
  private closed = false;
  private wake: (() => void) | undefined;
  async readFrame(): Promise<Uint8Array | null> {
    while (this.queue.length === 0 && !this.closed) await new Promise<void>((r) => (this.wake = r));
    const f = this.queue.shift();
    if (f !== undefined) this.bytesRead += f.length;
    return f ?? null;
  }
  async writeFrame(bytes: Uint8Array): Promise<void> {
    this.written.push(bytes.slice());
    this.bytesWritten += bytes.length;
    this.other.queue.push(bytes.slice());
    this.other.wake?.();
  }
  async close(): Promise<void> {
    this.other.closed = true;
    this.other.wake?.();
  }
  reset(): void {
    void this.close();
  }
}

/** One honest sync of the scope from the server store to a client: the frames each side sent. */
export async function honestExchange(client: Store): Promise<{ fromClient: Uint8Array[]; fromServer: Uint8Array[] }> {
  const [c, s] = framePipe();
  const served = serveSync(s, { store: serverStore, serves: (x) => x === scope });
  const result = await syncScope(c, scope, clientOptions(client));
  await c.close();
  await served;
  assert.equal(result.refused, 0);
  return { fromClient: c.written, fromServer: s.written };
}

export const recorded = await (async () => {
  const client = clientStore();
  try {
    const r = await honestExchange(client);
    assert.equal(client.objects.count(), genuine.length, 'the honest exchange brings the client the whole scope');
    return r;
  } finally {
    client.close();
  }
})();

// ---- Frames, generated and mutated ----

export const HELLO = 1;
const RECONCILE = 2;
export const WANT = 3;
const OBJECTS = 4;
export const END = 5;
export const ERROR = 6;
/** The times of listed digests (asked with a checkpoint): the protocol's last frame type. */
export const TIMES = 7;
export const frame = (type: number, body: Uint8Array = new Uint8Array(0)): Uint8Array => Uint8Array.from([type, ...body]);
export const utf8 = (s: string): Uint8Array => new Uint8Array(Buffer.from(s, 'utf8'));

/** Varints of every length up to nine bytes, continuation bits set at random: where length checks and 2^53 meet. */
const longVarint = fc
  .tuple(fc.array(fc.nat({ max: 127 }), { maxLength: 8 }), fc.nat({ max: 127 }))
  .map(([more, last]) => Uint8Array.from([...more.map((b) => b | 0x80), last]));

/** OBJECTS bodies: each object a varint length and its bytes, some genuine, some changed, some lying about their length. */
const packedObjects = fc
  .array(
    fc.tuple(
      fc.oneof(
        fc.constantFrom(...genuineBodies),
        fc.tuple(fc.constantFrom(...genuine), jsonMutations()).map(([d, m]) => JSON.stringify(mutateJson(d, m)) ?? 'null'),
        fc.string({ unit: 'binary', maxLength: 60 }),
      ),
      fc.integer({ min: -3, max: 3 }),
    ),
    { maxLength: 4 },
  )
  .map((objs) => {
    const parts: Uint8Array[] = [];
    for (const [text, lie] of objs) {
      const bytes = utf8(text);
      parts.push(encodeVarint(Math.max(0, bytes.length + lie)), bytes);
    }
    return Buffer.concat(parts);
  });
const objectsBody = fc.oneof(
  { weight: 3, arbitrary: packedObjects },
  { weight: 1, arbitrary: fc.tuple(longVarint, fc.uint8Array({ maxLength: 20 })).map(([v, b]) => Buffer.concat([v, b])) },
);

/** Reconciliation messages: random bytes after the version, or real messages of this scope changed. */
export const reconcileMessage = fc.oneof(
  fc.uint8Array({ maxLength: 120 }).map((b) => Uint8Array.from([RECONCILE_VERSION, ...b])),
  fc
    .array(fc.oneof(longVarint, fc.uint8Array({ maxLength: 33 })), { maxLength: 8 })
    .map((parts) => Buffer.concat([Uint8Array.of(RECONCILE_VERSION), ...parts])),
  fc.uint8Array({ maxLength: 60 }),
  fc
    .tuple(
      fc.constantFrom(...recorded.fromServer.filter((f) => f[0] === RECONCILE), ...recorded.fromClient.filter((f) => f[0] === RECONCILE)),
      fc.nat(),
      fc.nat({ max: 255 }),
    )
    .map(([f, at, byte]) => {
      const m = f.slice(1);
      if (m.length > 0) m[at % m.length] = byte;
      return m;
    }),
);

/** An error frame whose reason is any JSON, including members that are not strings (a `toString` that is not a function). */
const errorBody = fc.dictionary(
  fc.constantFrom('code', 'message', 'toString', 'valueOf', 'reason'),
  fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.dictionary(fc.constantFrom('toString', 'valueOf', 'message'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 2 })),
  { maxKeys: 4 },
);

export const syncFrame = fc.oneof(
  fc
    .oneof(fc.constant({ v: 1, scope }), fc.jsonValue({ maxDepth: 2 }), fc.record({ scope: fc.oneof(fc.string(), fc.jsonValue()) }))
    .map((v) => frame(HELLO, utf8(JSON.stringify(v) ?? ''))),
  reconcileMessage.map((m) => frame(RECONCILE, m)),
  fc.uint8Array({ maxLength: 100 }).map((b) => frame(WANT, b)),
  fc.array(fc.constantFrom(...genuineDigests), { minLength: 1, maxLength: 3 }).map((ds) => frame(WANT, Buffer.concat(ds.map((d) => Buffer.from(d, 'hex'))))),
  objectsBody.map((b) => frame(OBJECTS, b)),
  fc.constant(frame(END)),
  errorBody.map((e) => frame(ERROR, utf8(JSON.stringify(e)))),
  fc.uint8Array({ maxLength: 100 }).map((b) => frame(TIMES, b)),
  fc.array(fc.constantFrom(...genuineDigests), { minLength: 1, maxLength: 3 }).map((ds) => frame(TIMES, Buffer.concat(ds.map((d) => Buffer.from(d, 'hex'))))),
  fc.uint8Array({ maxLength: 40 }),
);

interface FrameEdit {
  readonly kind: 'flip' | 'cut' | 'drop' | 'duplicate' | 'insert' | 'retype';
  readonly frame: number;
  readonly pos: number;
  readonly byte: number;
  readonly insert: Uint8Array;
}

export const frameEdits = fc.array(
  fc.record({
    kind: fc.constantFrom<FrameEdit['kind']>('flip', 'cut', 'drop', 'duplicate', 'insert', 'retype'),
    frame: fc.nat(),
    pos: fc.nat(),
    byte: fc.nat({ max: 255 }),
    insert: syncFrame,
  }),
  { minLength: 1, maxLength: 3 },
);

export function editFrames(frames: readonly Uint8Array[], edits: readonly FrameEdit[]): Uint8Array[] {
  const out: Uint8Array[] = frames.map((f) => f.slice());
  for (const e of edits) {
    const i = e.frame % (out.length + 1);
    const f = out[i];
    switch (e.kind) {
      case 'insert':
        out.splice(i, 0, e.insert);
        break;
      case 'flip':
        if (f && f.length > 0) f[e.pos % f.length] = e.byte;
        break;
      case 'retype':
        if (f && f.length > 0) f[0] = e.byte % 8;
        break;
      case 'cut':
        if (f) out[i] = f.subarray(0, e.pos % (f.length + 1));
        break;
      case 'drop':
        if (f) out.splice(i, 1);
        break;
      case 'duplicate':
        if (f) out.splice(i, 0, f.slice());
        break;
    }
  }
  return out;
}

/** Frames as they go on the wire: a minimal varint length, then the bytes. */
export const onWire = (frames: readonly Uint8Array[]): Uint8Array => Buffer.concat(frames.flatMap((f) => [encodeVarint(f.length), f]));

/** Chunks for one stream: framed frames of the protocol, raw bytes, and length prefixes that lie. */
export function wireInput(frameArb: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array[]> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.array(frameArb, { minLength: 1, maxLength: 4 }).map((fs) => [onWire(fs)]) },
    { weight: 1, arbitrary: fc.array(outsideBytes(200), { minLength: 1, maxLength: 3 }) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom(
            encodeVarint(100 * 1024 * 1024),
            Uint8Array.of(0x80, 0x00),
            Uint8Array.of(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01),
            encodeVarint(50),
          ),
          fc.uint8Array({ maxLength: 40 }),
        )
        .map(([prefix, body]) => [prefix, body]),
    },
  );
}

/** Tables a refusal may change by design: the count of refusals by code, and the record of a peer's ban. */
export const RECORD_TABLES = new Set(['refusals', 'peers']);

export const objectDigests = (store: Store): Set<string> => new Set<string>([...store.objects.byOwner(author)].map((o) => o.digest));
