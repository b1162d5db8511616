import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import type Database from 'better-sqlite3';
import { isKithError, type ErrorCode, type KithError } from '../src/core/errors.js';
import { repoRoot } from './helpers.js';
import type { Store } from '../src/store/store.js';
import { SEARCH_INDEX_ALL_SLICE } from '../src/core/constants.js';

/**
 * What the fuzz suite (test/fuzz-*.test.ts) shares: the seed every property
 * runs from, the run of a property within a time budget, the check that a
 * refusal is a KithError and nothing else, a digest of every table of a
 * SQLite store, mutations of valid JSON, and the inputs that once failed.
 */

/**
 * One decode of outside input that takes longer than this is a hang: a
 * decoder that is linear in its input does any of these in well under a
 * millisecond, so this leaves room for a loaded machine and nothing else.
 */
export const CASE_BUDGET_MS = 2_000;

/**
 * The seed of a fuzz file: KITH_TEST_SEED when set (the hex a run prints, as
 * test/seeded-random.ts takes it), else a fresh one, printed so a failing run
 * can be had again. fast-check takes a 32-bit integer; the hex is that integer.
 */
export function fuzzSeed(what: string): number {
  const given = process.env.KITH_TEST_SEED;
  if (given !== undefined && !/^[0-9a-f]{1,64}$/i.test(given)) throw new Error(`KITH_TEST_SEED must be hex (as printed by a run), not "${given}"`);
  const seed = given !== undefined ? parseInt(given.slice(-8), 16) | 0 : randomBytes(4).readInt32LE(0);
  const hex = (seed >>> 0).toString(16).padStart(8, '0');
  console.log(`${what}: fast-check seed ${seed} (run again with KITH_TEST_SEED=${hex})`);
  return seed;
}

export interface RunOptions {
  readonly seed: number;
  readonly numRuns: number;
  /**
   * The property's share of the run's time: once spent, no case starts (the
   * one under way always finishes), so a loaded machine runs fewer cases
   * rather than a longer suite.
   */
  readonly budgetMs: number;
  /** One case that takes longer fails as a hang (fast-check's timeout). */
  readonly caseTimeoutMs?: number;
}

/**
 * KITH_FUZZ_SCALE multiplies every property's cases and time budget, for a
 * longer hunt by hand (say 50); the suite itself runs at 1, to stay within
 * its share of the test run.
 */
const SCALE = (() => {
  const v = process.env.KITH_FUZZ_SCALE;
  if (v === undefined) return 1;
  const n = Number(v);
  if (!(n > 0)) throw new Error(`KITH_FUZZ_SCALE must be a positive number, not "${v}"`);
  return n;
})();

/**
 * Runs a property with fc.assert from the file's seed, within its time budget,
 * and prints how many cases it checked in how long. A failure throws
 * fast-check's report: the seed, the path to replay, the shrunk counterexample
 * and the error it caused.
 */
export async function runProperty<T>(name: string, arbitrary: fc.Arbitrary<T>, check: (value: T) => void | Promise<void>, opts: RunOptions): Promise<void> {
  const numRuns = Math.ceil(opts.numRuns * SCALE);
  const budgetMs = opts.budgetMs * SCALE;
  let checked = 0;
  const started = performance.now();
  const property = fc.asyncProperty(arbitrary, async (value) => {
    // Interrupts between cases, as fast-check's own time limit does for synchronous properties; its
    // plugin for async ones abandons the case under way, and a run whose first case outlasts it fails.
    if (checked > 0 && performance.now() - started > budgetMs) throw new fc.PreconditionFailure(true);
    checked++;
    await check(value);
  });
  await fc.assert(property, {
    seed: opts.seed,
    numRuns,
    // The error itself (a TypeError's message, an assertion's diff) belongs in the report.
    includeErrorInReport: true,
    plugins: [fc.timeout(opts.caseTimeoutMs ?? CASE_BUDGET_MS * 5)],
  });
  const ms = Math.round(performance.now() - started);
  console.log(`${name}: ${checked} cases in ${ms} ms${checked < numRuns ? ` (its time budget of ${budgetMs} ms was spent)` : ''}`);
}

/** The outcome of feeding outside input to a decoder that may only return or refuse. */
export type Outcome<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: KithError };

function checkRefusal(e: unknown, label: string): KithError {
  if (!isKithError(e)) {
    const what = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack ?? ''}` : String(e);
    assert.fail(`${label}: a refusal must be a KithError, but it threw ${what}`);
  }
  assert.notEqual(e.code, 'internal', `${label}: refused as a bug inside Kith ('internal'): ${e.message}`);
  assert.ok(e.message.length > 0, `${label}: a refusal says why`);
  return e;
}

/**
 * Calls a decoder with outside input: it returns, or throws a KithError with a
 * code other than 'internal' and a reason. Anything else (a TypeError, a
 * RangeError) is a bug in the decoder, and so is a call over CASE_BUDGET_MS.
 */
export function decodes<T>(label: string, fn: () => T): Outcome<T> {
  const t0 = performance.now();
  let out: Outcome<T>;
  try {
    out = { ok: true, value: fn() };
  } catch (e) {
    out = { ok: false, error: checkRefusal(e, label) };
  }
  const ms = performance.now() - t0;
  assert.ok(ms < CASE_BUDGET_MS, `${label}: took ${Math.round(ms)} ms; the budget for one input is ${CASE_BUDGET_MS} ms`);
  return out;
}

/** decodes, for a decoder that answers with a promise. */
export async function decodesAsync<T>(label: string, fn: () => Promise<T>): Promise<Outcome<T>> {
  const t0 = performance.now();
  let out: Outcome<T>;
  try {
    out = { ok: true, value: await fn() };
  } catch (e) {
    out = { ok: false, error: checkRefusal(e, label) };
  }
  const ms = performance.now() - t0;
  assert.ok(ms < CASE_BUDGET_MS, `${label}: took ${Math.round(ms)} ms; the budget for one input is ${CASE_BUDGET_MS} ms`);
  return out;
}

/** Asserts a decoder refused, with one of the codes given when any are. */
export function assertRefused<T>(o: Outcome<T>, label: string, codes?: readonly ErrorCode[]): KithError {
  assert.ok(!o.ok, `${label}: must be refused, but was accepted`);
  if (codes) assert.ok(codes.includes(o.error.code), `${label}: refused with ${o.error.code} (${o.error.message}); expected one of ${codes.join(', ')}`);
  return o.error;
}

// ---- The store, table by table ----

/**
 * A digest of every row of every table (order-free: row digests are sorted),
 * by table, with its row count. `skip` leaves out whole tables ("refusals")
 * or single columns ("devices.last_seen"): what changes by design whatever
 * the input, like a count of refusals or when a device was last seen.
 * Posts stored before are indexed for search after their commit, on a timer
 * (store/search.ts): the queue is drained first, so what that timer does is
 * not taken for a change made by the input.
 */
export function tableDigests(store: Store, skip: ReadonlySet<string> = new Set()): Record<string, string> {
  while (store.search.indexPending(SEARCH_INDEX_ALL_SLICE) > 0);
  const db = store.db;
  const out: Record<string, string> = {};
  for (const [name, all] of tableReaders(db, skip)) {
    const rows = all();
    const rowDigests = rows.map((row) => {
      const h = createHash('sha256');
      for (const cell of row) {
        if (cell instanceof Uint8Array) h.update('b').update(cell);
        else h.update(typeof cell).update(String(cell));
        h.update('\u0000');
      }
      return h.digest('hex');
    });
    rowDigests.sort();
    out[name] = `${rows.length} rows ${createHash('sha256').update(rowDigests.join(',')).digest('hex').slice(0, 16)}`;
  }
  return out;
}

type TableReader = [name: string, all: () => unknown[][]];

/** Readers of all rows, per table, prepared once per database and skip list (a property takes digests hundreds of times). */
const readers = new WeakMap<Database.Database, Map<string, TableReader[]>>();
function tableReaders(db: Database.Database, skip: ReadonlySet<string>): TableReader[] {
  const key = [...skip].sort().join(',');
  let byDb = readers.get(db);
  if (byDb === undefined) readers.set(db, (byDb = new Map()));
  let list = byDb.get(key);
  if (list === undefined) {
    const quote = (id: string): string => `"${id.replaceAll('"', '""')}"`;
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all() as string[];
    list = names
      .filter((name) => !skip.has(name))
      .map((name): TableReader => {
        const columns = (db.prepare(`SELECT name FROM pragma_table_info(?)`).pluck().all(name) as string[]).filter((c) => !skip.has(`${name}.${c}`));
        const stmt = db.prepare(`SELECT ${columns.map(quote).join(', ')} FROM ${quote(name)}`).raw();
        return [name, () => stmt.all() as unknown[][]];
      });
    byDb.set(key, list);
  }
  return list;
}

// ---- Mutations of valid JSON ----

type JsonPath = readonly (string | number)[];

function pathsOf(v: unknown, at: JsonPath = [], out: JsonPath[] = []): JsonPath[] {
  out.push(at);
  if (Array.isArray(v)) v.forEach((x, i) => pathsOf(x, [...at, i], out));
  else if (typeof v === 'object' && v !== null) for (const [k, x] of Object.entries(v)) pathsOf(x, [...at, k], out);
  return out;
}

export interface JsonMutation {
  readonly at: number;
  readonly kind: 'replace' | 'delete' | 'insert' | 'string-edit';
  readonly key: string;
  readonly value: unknown;
  readonly edit: { readonly pos: number; readonly text: string; readonly cut: number };
}

/** Applies mutations to a deep copy: each picks a place in the document (by index among its paths) and changes it. */
export function mutateJson<T>(base: T, mutations: readonly JsonMutation[]): unknown {
  let doc: unknown = structuredClone(base);
  for (const m of mutations) {
    const paths = pathsOf(doc);
    const path = paths[m.at % paths.length]!;
    const parent = path.length === 0 ? undefined : (path.slice(0, -1).reduce((o: any, k) => o[k], doc) as any);
    const last = path[path.length - 1];
    const current = path.length === 0 ? doc : parent[last!];
    const set = (v: unknown): void => {
      if (path.length === 0) doc = v;
      else parent[last!] = v;
    };
    switch (m.kind) {
      case 'replace':
        set(m.value);
        break;
      case 'delete':
        if (Array.isArray(parent)) parent.splice(last as number, 1);
        else if (parent !== undefined) delete parent[last!];
        break;
      case 'insert':
        if (Array.isArray(current)) current.splice(m.edit.pos % (current.length + 1), 0, m.value);
        else if (typeof current === 'object' && current !== null) (current as Record<string, unknown>)[m.key] = m.value;
        else set(m.value);
        break;
      case 'string-edit':
        if (typeof current === 'string') {
          const pos = m.edit.pos % (current.length + 1);
          set(current.slice(0, pos) + m.edit.text + current.slice(pos + m.edit.cut));
        } else set(m.value);
        break;
    }
  }
  return doc;
}

/** A few mutations of a JSON document: values of every JSON kind, keys it knows and keys it does not. */
export function jsonMutations(keys: readonly string[] = []): fc.Arbitrary<JsonMutation[]> {
  const mutation = fc.record({
    at: fc.nat(),
    kind: fc.constantFrom('replace', 'delete', 'insert', 'string-edit'),
    key: keys.length > 0 ? fc.oneof(fc.constantFrom(...keys), fc.string({ maxLength: 12 })) : fc.string({ maxLength: 12 }),
    value: fc.oneof(
      { weight: 3, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
      { weight: 1, arbitrary: fc.constantFrom(null, true, 0, -0, 1e308, -1, 2 ** 53, '', [], {}, 'ap://', 'did:key:z6Mk', 'urn:eris:', '__proto__') },
    ),
    edit: fc.record({ pos: fc.nat(), text: fc.string({ unit: 'binary', maxLength: 6 }), cut: fc.nat({ max: 4 }) }),
  });
  return fc.array(mutation, { minLength: 1, maxLength: 3 });
}

/** Arbitrary bytes, weighted toward the short and the nearly-textual, where decoders branch most. */
export function outsideBytes(maxLength = 300): fc.Arbitrary<Uint8Array> {
  return fc.oneof(
    fc.uint8Array({ maxLength }),
    fc.string({ unit: 'binary', maxLength }).map((s) => new Uint8Array(Buffer.from(s, 'utf8'))),
    fc.jsonValue({ maxDepth: 4 }).map((v) => new Uint8Array(Buffer.from(JSON.stringify(v) ?? 'null', 'utf8'))),
  );
}

// ---- Inputs that once failed ----

/** One input that made a decoder fail once, kept so it is tried on every run; `name` says what it caught. */
export interface RegressionCase {
  readonly name: string;
  /** Which check of the file it is fed to. */
  readonly target: string;
  /** The input: text, a JSON value, or bytes as hex (`hex`). */
  readonly input?: unknown;
  readonly hex?: string;
}

/** The regression cases of one layer (test/fuzz-regressions/<layer>.json). */
export function regressionCases(layer: string): RegressionCase[] {
  const file = join(repoRoot, 'test', 'fuzz-regressions', `${layer}.json`);
  const cases = JSON.parse(readFileSync(file, 'utf8')) as RegressionCase[];
  assert.ok(Array.isArray(cases), `${file} holds a list of cases`);
  for (const c of cases)
    assert.ok(typeof c.name === 'string' && c.name.length > 10 && typeof c.target === 'string', `${file}: every case is named and says its target`);
  return cases;
}

export function regressionBytes(c: RegressionCase): Uint8Array {
  assert.equal(typeof c.hex, 'string', `regression "${c.name}" holds bytes as hex`);
  return new Uint8Array(Buffer.from(c.hex!, 'hex'));
}
