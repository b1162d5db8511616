import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { canonicalize } from '../src/core/jcs.js';
import { DEFAULT_LIMITS, parseJsonLimited } from '../src/core/limits.js';
import { examine } from '../src/core/examine.js';
import {
  didFromPublicKey,
  parseDid,
  publicKeyFromDid,
  publicKeyFromMultikey,
  resolveDidKeyDocument,
  resolveVerificationMethod,
  seedFromPrivateMultikey,
  verificationMethodOf,
} from '../src/core/didkey.js';
import { encodeBase58 } from '../src/core/multibase.js';
import { apId, canonicalApId, parseApId } from '../src/core/apid.js';
import { signDocument, verifyDocument } from '../src/core/proof.js';
import { CERTIFICATE_PROOF_PURPOSE, DELEGATE, issueCertificate, parseCertificate, verifyChain } from '../src/core/certificate.js';
import { issueRevocation, parseRevocation, REVOCATION_PROOF_PURPOSE } from '../src/core/revocation.js';
import { formatErisUrn, parseErisUrn } from '../src/core/eris-urn.js';
import {
  decodeErisToBytes,
  encodeEris,
  ERIS_READ_CAPABILITY_BYTES,
  initEris,
  parseErisReference,
  readCapabilityFromBytes,
  readCapabilityToBytes,
  type ErisBlockSize,
  type ReadCapability,
} from '../src/core/eris.js';
import { openErisNode } from '../src/core/eris-node.js';
import { blake2b256, chacha20 } from '../src/core/eris-crypto.js';
import { buildActor, buildCreate, buildNote } from '../src/core/as2.js';
import { generateKeyPair, keyPairFromSeed, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { sha256 } from '../src/core/bytes.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { Store } from '../src/store/store.js';
import { Ingestor, PUBLISH } from '../src/store/ingest.js';
import { tempDir } from './helpers.js';
import {
  assertRefused,
  decodes,
  decodesAsync,
  jsonMutations,
  mutateJson,
  outsideBytes,
  regressionBytes,
  regressionCases,
  runProperty,
  tableDigests,
  fuzzSeed,
  type JsonMutation,
} from './fuzz-support.js';

/**
 * The fuzz suite, core layer: every decoder of src/core that takes outside
 * bytes (JSON and its canonical form, did:key, ap:// ids, proofs,
 * certificates and revocations, ERIS URNs, capabilities, nodes and blocks),
 * and the ingest path they feed, on a real SQLite store. Properties: only a
 * KithError ever comes out (never a TypeError or RangeError), within a time
 * budget per input; a refused object leaves every table as it was; and every
 * format with an encoder reads back what it wrote.
 */

const seed = fuzzSeed('fuzz-core');
await initEris();

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

// ---- People and documents the mutations start from ----

interface Person {
  readonly key: Ed25519KeyPair;
  readonly did: Did;
}
const personFrom = (label: string): Person => {
  const key = keyPairFromSeed(sha256(`fuzz-core ${label}`));
  return { key, did: didFromPublicKey(key.publicKey) };
};
const author = personFrom('author');
const device = personFrom('device');
const T0 = Date.UTC(2025, 0, 1);
const YEAR = 365 * 86_400_000;

const note = signDocument(
  buildCreate(author.did, buildNote(author.did, { text: 'hello <b>world</b>', inReplyTo: apId(author.did, '/objects/1') }, T0), T0),
  author.key,
  {
    created: new Date(T0),
  },
);
const deviceNote = signDocument(buildCreate(author.did, buildNote(author.did, { text: 'from the laptop' }, T0 + 1000), T0 + 1000), device.key, {
  created: new Date(T0 + 1000),
});
const actor = signDocument(buildActor(author.did, { name: 'Author' }, T0), author.key, { created: new Date(T0) });
const certificate = issueCertificate(
  author.key,
  { subject: device.did, capability: [PUBLISH], resource: `ap://${author.did}`, notBefore: T0 - YEAR, expires: T0 + 50 * YEAR },
  { now: T0 - YEAR },
);
const revocation = issueRevocation(author.key, { subject: device.did, root: author.did }, { now: T0 + 2 * YEAR });
/** A chain two links long: the author lets the device pass publishing on, and the device certifies a second key under it. */
const second = personFrom('second device');
const delegating = issueCertificate(
  author.key,
  { subject: device.did, capability: [DELEGATE, PUBLISH], resource: `ap://${author.did}`, notBefore: T0 - YEAR, expires: T0 + 50 * YEAR },
  { now: T0 - YEAR },
);
const delegated = issueCertificate(
  device.key,
  { subject: second.did, capability: [PUBLISH], resource: `ap://${author.did}/objects`, notBefore: T0 - YEAR, expires: T0 + 10 * YEAR, parent: delegating },
  { now: T0 - YEAR },
);

/** A signed document changed, then either left with its old proof or signed again by `signer` (so the checks past the proof run). */
function changed(doc: JsonObject, mutations: JsonMutation[], resign: Person | undefined, proofPurpose?: string): unknown {
  if (resign === undefined) return mutateJson(doc, mutations);
  const { proof: _proof, ...unsigned } = doc;
  const m = mutateJson(unsigned, mutations);
  if (typeof m !== 'object' || m === null || Array.isArray(m) || 'proof' in m) return m;
  try {
    return signDocument(m as JsonObject, resign.key, { created: new Date(T0), ...(proofPurpose ? { proofPurpose } : {}) });
  } catch {
    // Not signable (a lone surrogate, say): the unsigned change is input enough.
    return m;
  }
}

// ---- What each decoder is checked for, one input at a time (the properties and the regressions share these) ----

const DID_PREFIXES = [Uint8Array.of(0xed, 0x01), Uint8Array.of(0xec, 0x01), Uint8Array.of(0x80, 0x26), Uint8Array.of(0xed), new Uint8Array(0)];

/** JCS: a value canonicalizes to text that parses back to a value with the same canonical form. */
function checkCanonical(value: unknown): void {
  const c = decodes('canonicalize', () => canonicalize(value));
  if (!c.ok) return;
  const again = decodes('canonicalize of the parsed canonical form', () => canonicalize(JSON.parse(c.value)));
  assert.ok(again.ok, 'canonical JSON parses and canonicalizes again');
  assert.equal(again.value, c.value, 'JCS is idempotent');
}

/** What the chains checked came to, printed: a fuzz that never reaches a chain's links proves little. */
const chainOutcomes: Record<string, number> = {};

const checks: Record<string, (input: unknown) => void> = {
  /** JSON text or bytes as examine reads them, and what it parsed, canonicalized and read back. */
  json(input) {
    const text = input instanceof Uint8Array ? input : String(input);
    const parsed = decodes('parseJsonLimited', () => parseJsonLimited(text, DEFAULT_LIMITS));
    if (parsed.ok) checkCanonical(parsed.value);
  },
  canonical: checkCanonical,
  did(input) {
    const s = input as string;
    const d = decodes('parseDid', () => parseDid(s));
    decodes('resolveVerificationMethod', () => resolveVerificationMethod(s));
    decodes('resolveVerificationMethod of did#fragment', () => resolveVerificationMethod(`${s}#${String(s).slice(8)}`));
    decodes('resolveDidKeyDocument', () => resolveDidKeyDocument(s));
    decodes('publicKeyFromMultikey', () => publicKeyFromMultikey(String(s).slice(8)));
    decodes('seedFromPrivateMultikey', () => seedFromPrivateMultikey(String(s).slice(8)));
    if (d.ok) {
      const key = publicKeyFromDid(d.value);
      assert.equal(didFromPublicKey(key), d.value, 'a did:key that parses is the encoding of its key');
      assert.equal(resolveVerificationMethod(verificationMethodOf(d.value)).did, d.value);
    }
  },
  apid(input) {
    const p = decodes('parseApId', () => parseApId(input));
    if (!p.ok) return;
    const canonical = canonicalApId(input);
    assert.equal(canonicalApId(canonical), canonical, 'the canonical form of an ap:// id is canonical');
    assert.deepEqual(parseApId(canonical), p.value, 'the canonical form parses to the same parts');
  },
  proof(input) {
    decodes('verifyDocument', () => verifyDocument(input));
  },
  statement(input) {
    const cert = decodes('parseCertificate', () => parseCertificate(input));
    const rev = decodes('parseRevocation', () => parseRevocation(input));
    if (cert.ok) assert.equal(parseCertificate(cert.value.doc).digest, cert.value.digest, 'a certificate reads back with the same digest');
    if (rev.ok) assert.equal(parseRevocation(rev.value.doc).digest, rev.value.digest, 'a revocation reads back with the same digest');
    const chain = Array.isArray(input) ? input : [input];
    for (const actor of [device.did, second.did]) {
      const verdict = decodes('verifyChain', () =>
        verifyChain({
          root: author.did,
          chain: chain as JsonObject[],
          actor,
          capability: PUBLISH,
          resource: apId(author.did, '/objects/x'),
          at: T0,
          revocations: rev.ok ? [rev.value] : [revocation],
        }),
      );
      const outcome = verdict.ok ? 'granted' : verdict.error.code;
      chainOutcomes[outcome] = (chainOutcomes[outcome] ?? 0) + 1;
    }
  },
  'eris-urn'(input) {
    const cap = decodes('parseErisUrn', () => parseErisUrn(input as string));
    if (!cap.ok) return;
    assert.equal(formatErisUrn(cap.value), `urn:eris:${String(input).slice('urn:eris:'.length)}`, 'an ERIS URN reads back as written');
  },
  'eris-capability'(input) {
    const bytes = input as Uint8Array;
    const cap = decodes('readCapabilityFromBytes', () => readCapabilityFromBytes(bytes));
    if (cap.ok) assert.deepEqual(readCapabilityToBytes(cap.value), bytes, 'a binary capability reads back as written');
    decodes('parseErisReference', () => parseErisReference(Buffer.from(bytes).toString('latin1')));
  },
  /** An internal node: 1 KiB of bytes opened at a place (level, key, edge, root) given by the input's first bytes. */
  'eris-node'(input) {
    const bytes = input as Uint8Array;
    const level = 1 + ((bytes[0] ?? 0) % 4);
    const plain = new Uint8Array(1024);
    plain.set(bytes.subarray(1, 1025));
    const key = blake2b256(plain);
    const block = chacha20(key, level, plain);
    for (const rightmost of [true, false]) {
      for (const isRoot of [true, false]) {
        decodes('openErisNode', () => openErisNode(block, 1024, { reference: blake2b256(block), key, level, rightmost, isRoot }));
      }
    }
    const wrongKey = new Uint8Array(32);
    wrongKey.set(bytes.subarray(0, 32));
    decodes('openErisNode with a wrong key', () =>
      openErisNode(bytes.length === 1024 ? bytes : block, 1024, { reference: key, key: wrongKey, level, rightmost: true, isRoot: true }),
    );
  },
};

/** ERIS content decoded from a capability and blocks that are not what they should be. */
async function checkErisDecode(cap: Uint8Array, blocks: Map<string, Uint8Array>, original: Uint8Array | undefined, originalCap: Uint8Array): Promise<void> {
  const parsed = decodes('readCapabilityFromBytes', () => readCapabilityFromBytes(cap));
  if (!parsed.ok) return;
  const out = await decodesAsync('decodeErisToBytes', () =>
    decodeErisToBytes(parsed.value, (ref) => blocks.get(Buffer.from(ref).toString('hex')), { maxBytes: 1 << 20 }),
  );
  if (out.ok && original !== undefined && Buffer.compare(cap, originalCap) === 0)
    assert.deepEqual(out.value, original, 'unchanged blocks decode to the content');
}

// ---- Regressions: every input that once failed, by name, every run ----

test('regressions: every core input that once failed is refused cleanly, or read as it should be', async () => {
  const cases = regressionCases('core');
  for (const c of cases) {
    const check = checks[c.target];
    assert.ok(check, `regression "${c.name}" names a target this file checks (${c.target})`);
    check(c.hex !== undefined ? regressionBytes(c) : c.input);
  }
});

// ---- Properties ----

const didish = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ maxLength: 70 }).map((s) => `did:key:${s}`),
  fc.string({ unit: fc.constantFrom(...'123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0OIl'), maxLength: 60 }).map((s) => `did:key:z${s}`),
  fc
    .tuple(fc.constantFrom(...DID_PREFIXES), fc.uint8Array({ minLength: 0, maxLength: 40 }))
    .map(([prefix, key]) => `did:key:z${encodeBase58(Buffer.concat([prefix, key]))}`),
  fc.uint8Array({ minLength: 32, maxLength: 32 }).map((k) => didFromPublicKey(k) as string),
  fc.constantFrom(author.did, `did:key:z6LS${author.did.slice(12)}`, 'did:key:', 'did:key:z', 'did:web:example.com'),
);

test('JCS and the JSON examine reads: text, bytes and values either parse or are refused, and canonical text reads back', async () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.json({ maxDepth: 5, stringUnit: 'binary' }),
    fc.json({ maxDepth: 20 }),
    fc
      .tuple(fc.json({ maxDepth: 4 }), fc.nat(), fc.string({ unit: 'binary', maxLength: 4 }))
      .map(([j, at, s]) => j.slice(0, at % (j.length + 1)) + s + j.slice(at % (j.length + 1))),
    fc.nat({ max: 200 }).map((n) => '['.repeat(n) + ']'.repeat(n)),
  );
  await runProperty('JSON text', text, (t) => checks.json!(t), { seed, numRuns: 400, budgetMs: 1500 });
  await runProperty('JSON bytes', outsideBytes(), (b) => checks.json!(b), { seed, numRuns: 200, budgetMs: 700 });
  await runProperty('canonicalize of JSON values', fc.jsonValue({ maxDepth: 5, stringUnit: 'binary' }), (v) => checks.canonical!(v), {
    seed,
    numRuns: 300,
    budgetMs: 1000,
  });
  await runProperty(
    'canonicalize of anything',
    fc.anything({ maxDepth: 3, withBigInt: true, withBoxedValues: true, withNullPrototype: true, withSparseArray: true }),
    (v) => {
      decodes('canonicalize', () => canonicalize(v));
    },
    { seed, numRuns: 200, budgetMs: 700 },
  );
});

test('did:key: strings of every near-miss shape either parse to their own key or are refused; keys round-trip', async () => {
  await runProperty('did:key strings', didish, (s) => checks.did!(s), { seed, numRuns: 400, budgetMs: 1200 });
  await runProperty(
    'did:key round trip',
    fc.uint8Array({ minLength: 32, maxLength: 32 }),
    (key) => {
      const did = didFromPublicKey(key);
      assert.deepEqual(publicKeyFromDid(parseDid(did)), key);
    },
    { seed, numRuns: 200, budgetMs: 400 },
  );
});

test('ap:// ids: any text either parses or is refused; what parses has a canonical form that parses the same', async () => {
  const segment = fc.string({ unit: fc.constantFrom(..."abcXYZ019-._~!$&'()*+,;=:@%/?#[] éあ\u0000"), maxLength: 30 });
  const id = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 120 }),
    fc.tuple(fc.constantFrom('ap://', 'AP://', 'ap+ef61://', 'Ap+EF61://', 'ap:/', 'https://'), didish, segment).map(([s, d, p]) => `${s}${d}${p}`),
    fc
      .tuple(
        fc.constantFrom('ap://', 'ap+ef61://'),
        fc.constantFrom(author.did, encodeURIComponent(author.did), author.did.replace(':', '%3a')),
        segment,
        segment,
      )
      .map(([s, d, p, q]) => `${s}${d}/${p}${q}`),
    fc.webPath().map((p) => `ap://${author.did}${p}`),
  );
  await runProperty('ap:// ids', id, (s) => checks.apid!(s), { seed, numRuns: 500, budgetMs: 1000 });
  await runProperty(
    'ap:// ids built from segments',
    fc.array(fc.webSegment(), { minLength: 1, maxLength: 5 }),
    (segments) => {
      const path = `/${segments.join('/')}`;
      const built = decodes('apId', () => apId(author.did, path));
      if (built.ok) assert.equal(parseApId(built.value).path, path, 'an id built from a path keeps it');
    },
    { seed, numRuns: 200, budgetMs: 400 },
  );
});

test('proofs: changed documents, signed again or not, verify or are refused with a KithError; fresh ones verify', async () => {
  const input = fc.oneof(
    fc
      .tuple(jsonMutations(['proof', 'proofValue', 'verificationMethod', 'cryptosuite', 'created', 'expires', '@context', 'type']), fc.boolean())
      .map(([m, resign]) => changed(note, m, resign ? author : undefined)),
    fc.jsonValue({ maxDepth: 4 }),
    fc
      .tuple(fc.jsonValue({ maxDepth: 3 }), fc.string({ unit: 'binary', maxLength: 120 }))
      .map(([v, pv]) => ({ ...note, proof: { ...(note.proof as JsonObject), proofValue: pv, created: v } })),
  );
  await runProperty('proofs', input, (d) => checks.proof!(d), { seed, numRuns: 400, budgetMs: 1500 });
  await runProperty(
    'sign then verify',
    fc.dictionary(
      fc.string({ maxLength: 8 }).filter((k) => k !== 'proof'),
      fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }),
      { maxKeys: 6 },
    ),
    (doc) => {
      const signed = decodes('signDocument', () => signDocument(doc as JsonObject, author.key));
      if (signed.ok) assert.equal(verifyDocument(signed.value).signer, author.did, 'what Kith signs verifies');
    },
    { seed, numRuns: 200, budgetMs: 1000 },
  );
});

test('certificates and revocations: changed ones, signed again by their issuer or not, parse or are refused; chains of them too', async () => {
  const keys = ['issuer', 'subject', 'capability', 'resource', 'notBefore', 'expires', 'parent', 'id', 'certificate', 'root', 'from', 'proof'];
  const input = fc.oneof(
    fc
      .tuple(jsonMutations(keys), fc.boolean())
      .map(([m, resign]) => changed(certificate.doc as JsonObject, m, resign ? author : undefined, CERTIFICATE_PROOF_PURPOSE)),
    fc
      .tuple(jsonMutations(keys), fc.boolean())
      .map(([m, resign]) => changed(revocation.doc as JsonObject, m, resign ? author : undefined, REVOCATION_PROOF_PURPOSE)),
    fc
      .array(fc.tuple(jsonMutations(keys), fc.boolean()), { minLength: 1, maxLength: 3 })
      .map((links) => links.map(([m, resign]) => changed(certificate.doc as JsonObject, m, resign ? author : undefined, CERTIFICATE_PROOF_PURPOSE))),
    fc
      .tuple(jsonMutations(keys), fc.constantFrom('as signed', 'changed', 'changed and signed again'))
      .map(([m, how]) => [
        delegating.doc as JsonObject,
        how === 'as signed' ? delegated.doc : changed(delegated.doc as JsonObject, m, how === 'changed' ? undefined : device, CERTIFICATE_PROOF_PURPOSE),
      ]),
    fc.string({ unit: 'binary', maxLength: 200 }),
    fc.jsonValue({ maxDepth: 4 }),
  );
  await runProperty('certificates and revocations', input, (d) => checks.statement!(d), { seed, numRuns: 400, budgetMs: 2000 });
  console.log(`chain outcomes: ${JSON.stringify(chainOutcomes)}`);
});

test('ERIS URNs and binary capabilities: near-misses are refused with a KithError; what parses reads back as written', async () => {
  const base32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const urn = fc.oneof(
    fc.string({ unit: 'binary', maxLength: 130 }),
    fc.string({ unit: fc.constantFrom(...base32, 'a', '=', '1', ' '), minLength: 100, maxLength: 110 }).map((s) => `urn:eris:${s}`),
    fc.string({ unit: fc.constantFrom(...base32), minLength: 106, maxLength: 106 }).map((s) => `URN:ERIS:${s}`),
    fc.uint8Array({ minLength: ERIS_READ_CAPABILITY_BYTES, maxLength: ERIS_READ_CAPABILITY_BYTES }).map((b) => {
      b[0] = b[0]! % 2 === 0 ? 0x0a : 0x0f;
      b[1] = b[1]! % 16;
      return `urn:eris:${Buffer.from(b)
        .toString('base64')
        .replace(/[^A-Z2-7]/g, 'A')
        .padEnd(106, 'A')
        .slice(0, 106)}`;
    }),
  );
  await runProperty('ERIS URNs', urn, (s) => checks['eris-urn']!(s), { seed, numRuns: 400, budgetMs: 600 });
  const capBytes = fc.oneof(
    fc.uint8Array({ maxLength: 80 }),
    fc.uint8Array({ minLength: ERIS_READ_CAPABILITY_BYTES, maxLength: ERIS_READ_CAPABILITY_BYTES }),
    fc
      .tuple(fc.constantFrom(0x0a, 0x0f, 0x0b, 0), fc.nat({ max: 255 }), fc.uint8Array({ minLength: 64, maxLength: 64 }))
      .map(([c, l, rest]) => Uint8Array.from([c, l, ...rest])),
  );
  await runProperty('ERIS binary capabilities', capBytes, (b) => checks['eris-capability']!(b), { seed, numRuns: 300, budgetMs: 400 });
  const capability: fc.Arbitrary<ReadCapability> = fc.record({
    blockSize: fc.constantFrom<ErisBlockSize>(1024, 32768),
    level: fc.nat({ max: 6 }),
    rootReference: fc.uint8Array({ minLength: 32, maxLength: 32 }),
    rootKey: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  });
  await runProperty(
    'ERIS URN round trip',
    capability,
    (cap) => {
      const back = parseErisUrn(formatErisUrn(cap));
      assert.deepEqual(readCapabilityToBytes(back), readCapabilityToBytes(cap));
    },
    { seed, numRuns: 200, budgetMs: 400 },
  );
});

test('ERIS nodes and blocks: internal nodes of any content, and trees with changed blocks or capabilities, are refused with a KithError', async () => {
  await runProperty('ERIS internal nodes', fc.uint8Array({ minLength: 0, maxLength: 1025 }), (b) => checks['eris-node']!(b), {
    seed,
    numRuns: 300,
    budgetMs: 800,
  });
  // Content of 1 to 40 small blocks (a tree two levels deep past 16), changed here and there.
  const tree = fc.record({
    content: fc.uint8Array({ minLength: 0, maxLength: 40 * 1024 }),
    blockChanges: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat({ max: 255 }), fc.constantFrom('flip', 'drop', 'swap', 'garbage')), { maxLength: 3 }),
    capChanges: fc.array(fc.tuple(fc.nat({ max: ERIS_READ_CAPABILITY_BYTES - 1 }), fc.nat({ max: 255 })), { maxLength: 2 }),
  });
  await runProperty(
    'ERIS trees',
    tree,
    async ({ content, blockChanges, capChanges }) => {
      const blocks = new Map<string, Uint8Array>();
      const cap = await encodeEris(content, (ref, block) => void blocks.set(Buffer.from(ref).toString('hex'), block.slice()), { blockSize: 1024 });
      const capBytes = readCapabilityToBytes(cap);
      const keys = [...blocks.keys()];
      for (const [which, at, value, how] of blockChanges) {
        const k = keys[which % keys.length]!;
        const b = blocks.get(k);
        if (b === undefined) continue;
        if (how === 'flip') b[at % b.length] = b[at % b.length]! ^ (value || 1);
        else if (how === 'drop') blocks.delete(k);
        else if (how === 'swap') blocks.set(k, blocks.get(keys[at % keys.length]!)!);
        else blocks.set(k, new Uint8Array(at % 2000).fill(value));
      }
      const changedCap = capBytes.slice();
      for (const [at, value] of capChanges) changedCap[at] = value;
      await checkErisDecode(changedCap, blocks, blockChanges.length === 0 ? content : undefined, capBytes);
      if (blockChanges.length === 0 && capChanges.length === 0) {
        assert.deepEqual(await decodeErisToBytes(cap, (ref) => blocks.get(Buffer.from(ref).toString('hex'))), content, 'ERIS round trip');
      }
    },
    { seed, numRuns: 120, budgetMs: 1000 },
  );
});

// ---- Ingest: the path every decoder above feeds, on a real store ----

/** The one table ingest writes on a refusal, by design: the count of refusals by code. */
const REFUSAL_TABLES = new Set(['refusals']);

test('ingest: changed, re-signed and random objects are stored or refused with a KithError; a refusal changes no table', async () => {
  const dir = tempDir('kith-fuzz-ingest-');
  dirs.push(dir);
  const store = Store.open(join(dir, 'kith.db'));
  try {
    const ingestor = new Ingestor(store, { now: () => T0 + 86_400_000 });
    for (const doc of [actor, certificate.doc, note, deviceNote] as JsonObject[]) ingestor.ingest(doc);
    const someone = generateKeyPair();
    const objectKeys = ['id', 'type', 'actor', 'attributedTo', 'object', 'published', 'inReplyTo', 'tag', 'attachment', 'proof', 'to', 'cc', '@context'];
    const signers = [author, device, { key: someone, did: didFromPublicKey(someone.publicKey) }];
    const input = fc.oneof(
      fc.tuple(jsonMutations(objectKeys), fc.nat({ max: 3 }), fc.constantFrom(note, deviceNote, actor)).map(([m, who, doc]) => changed(doc, m, signers[who])),
      fc
        .tuple(jsonMutations(['issuer', 'subject', 'capability', 'resource', 'notBefore', 'expires', 'root', 'from']), fc.boolean())
        .map(([m, resign]) => changed(certificate.doc as JsonObject, m, resign ? author : undefined, CERTIFICATE_PROOF_PURPOSE)),
      fc
        .tuple(jsonMutations(['subject', 'root', 'certificate', 'from']), fc.boolean())
        .map(([m, resign]) => changed(revocation.doc as JsonObject, m, resign ? author : undefined, REVOCATION_PROOF_PURPOSE)),
      outsideBytes(),
    );
    // What the cases came to, printed: a fuzz that only ever reaches the JSON parser proves little.
    const outcomes: Record<string, number> = {};
    await runProperty(
      'ingest',
      input,
      (doc) => {
        const text = doc instanceof Uint8Array ? doc : (JSON.stringify(doc) ?? 'null');
        const before = tableDigests(store, REFUSAL_TABLES);
        const refusals = store.refusals.list();
        const r = decodes('ingest', () => ingestor.ingest(text));
        const outcome = r.ok ? r.value.status : r.error.code;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (r.ok) return;
        assert.deepEqual(tableDigests(store, REFUSAL_TABLES), before, `a refused object changes no table (${r.error.code}: ${r.error.message})`);
        const counted = (list: typeof refusals) => list.find((x) => x.code === r.error.code)?.count ?? 0;
        assert.equal(counted(store.refusals.list()), counted(refusals) + 1, 'the refusal is counted');
        // examine on its own says the same about it, without a store.
        const e = decodes('examine', () => examine(text, DEFAULT_LIMITS));
        if (!e.ok) assert.equal(e.error.code, r.error.code, 'examine and ingest refuse for the same reason');
      },
      { seed, numRuns: 300, budgetMs: 2500 },
    );
    console.log(`ingest outcomes: ${JSON.stringify(outcomes)}`);
    assertRefused(
      decodes('ingest of nothing', () => ingestor.ingest(new Uint8Array(0))),
      'empty input',
      ['malformed'],
    );
  } finally {
    store.close();
  }
});
