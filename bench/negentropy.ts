/**
 * npm run bench -- negentropy [--items 10000,100000,1000000] [--diffs 1,100,10000] [--seed HEX] [--json]
 *
 * Kith's range-based reconciliation (core/reconcile.ts) side by side with
 * Negentropy (the NIP-77 implementation in nostr-tools) on the same items:
 * (timestamp in seconds, random 32-byte id) pairs, the two sets differing by D
 * items scattered through the order (alternately missing on one side and on
 * the other). Both run in this process, both sides of each, so what is
 * measured is the protocol: bytes of the messages exchanged, round trips, and
 * time. Beside them, the naive way: one side sends every id and the other
 * answers with the ids the first lacks (one round trip).
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { nip77 } from 'nostr-tools';
import { ItemIndex, Reconciler } from '../src/core/reconcile.js';
import { listArg, progressLine } from './bounds.js';
import { closeChartBrowser, machineLine, writeResults, type Results } from './results.js';

const ID_BYTES = 32;
const YEAR_S = 365 * 86_400;
/** Round trips allowed before a run is called stuck (either protocol). */
const MAX_ROUNDS = 1000;

export interface NegentropyCase {
  readonly items: number;
  readonly diffs: number;
}

export interface SideResult {
  readonly bytes: number;
  readonly rounds: number;
  readonly ms: number;
  /** Ids the initiator learned it lacks / the other side lacks, as hex, sorted. */
  readonly need: string[];
  readonly have: string[];
}

export interface NegentropyRow extends NegentropyCase {
  readonly kith: SideResult;
  readonly negentropy: SideResult;
  readonly naiveBytes: number;
  /** The true difference, to check both against. */
  readonly expected: { readonly need: string[]; readonly have: string[] };
}

interface Item {
  created: number;
  id: Uint8Array;
}

/** Bytes from a seed (SHA-256 of seed and counter), so a surprising run can be had again. */
function seededBytes(seed: string, what: string, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let at = 0, counter = 0; at < n; at += 32, counter++) {
    const block = createHash('sha256').update(seed).update(what).update(String(counter)).digest();
    out.set(block.subarray(0, Math.min(32, n - at)), at);
  }
  return out;
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** The two sets: `items` shared minus the differences, which go alternately to A and to B. */
export function makeSets(c: NegentropyCase, seed: string): { a: Item[]; b: Item[] } {
  const total = c.items + Math.ceil(c.diffs / 2);
  const ids = seededBytes(seed, `ids ${c.items} ${c.diffs}`, total * ID_BYTES);
  const times = seededBytes(seed, `times ${c.items} ${c.diffs}`, total * 4);
  const view = new DataView(times.buffer);
  // Seconds, as Nostr's timestamps are: nostr-tools encodes varints with 32-bit operators, so ms would wrap.
  const start = 1_700_000_000;
  const all: Item[] = Array.from({ length: total }, (_, i) => ({
    created: start + Math.floor((view.getUint32(i * 4, true) / 2 ** 32) * YEAR_S),
    id: ids.subarray(i * ID_BYTES, (i + 1) * ID_BYTES),
  }));
  // Which items differ: a seeded shuffle's first D, so they are scattered through the order.
  const pick = seededBytes(seed, `pick ${c.items} ${c.diffs}`, c.diffs * 4);
  const pv = new DataView(pick.buffer);
  const order = Array.from({ length: total }, (_, i) => i);
  const side = new Int8Array(total); // 0 both, 1 only A, 2 only B
  for (let k = 0; k < c.diffs; k++) {
    const j = k + Math.floor((pv.getUint32(k * 4, true) / 2 ** 32) * (total - k));
    [order[k], order[j]] = [order[j]!, order[k]!];
    side[order[k]!] = k % 2 === 0 ? 1 : 2;
  }
  const a: Item[] = [];
  const b: Item[] = [];
  all.forEach((it, i) => {
    if (side[i] !== 2) a.push(it);
    if (side[i] !== 1) b.push(it);
  });
  return { a, b };
}

function expectedDiff(a: Item[], b: Item[]) {
  const sa = new Set(a.map((i) => hex(i.id)));
  const sb = new Set(b.map((i) => hex(i.id)));
  return { need: [...sb].filter((x) => !sa.has(x)).sort(), have: [...sa].filter((x) => !sb.has(x)).sort() };
}

export function runKith(a: Item[], b: Item[]): SideResult {
  const ia = ItemIndex.from(a.map((i) => ({ created: i.created, digest: i.id })));
  const ib = ItemIndex.from(b.map((i) => ({ created: i.created, digest: i.id })));
  const t0 = performance.now();
  const initiator = new Reconciler(ia);
  const responder = new Reconciler(ib);
  const need: string[] = [];
  const have: string[] = [];
  let msg: Uint8Array | null = initiator.initiate();
  let bytes = 0;
  let rounds = 0;
  while (msg) {
    const reply = responder.respond(msg);
    bytes += msg.length + reply.length;
    rounds++;
    const r = initiator.reconcile(reply);
    for (const d of r.need) need.push(hex(d));
    for (const d of r.have) have.push(hex(d));
    msg = r.next;
    if (rounds > MAX_ROUNDS) throw new Error('Kith reconciliation did not end');
  }
  return { bytes, rounds, ms: performance.now() - t0, need: need.sort(), have: have.sort() };
}

function storage(items: Item[]): InstanceType<typeof nip77.NegentropyStorageVector> {
  const s = new nip77.NegentropyStorageVector();
  for (const it of items) s.insert(it.created, hex(it.id));
  s.seal();
  return s;
}

function runNegentropyProtocol(a: Item[], b: Item[]): SideResult {
  const sa = storage(a);
  const sb = storage(b);
  const t0 = performance.now();
  const initiator = new nip77.Negentropy(sa);
  const responder = new nip77.Negentropy(sb);
  const need: string[] = [];
  const have: string[] = [];
  // Messages travel as hex in NIP-77's JSON frames; the bytes counted are the binary message (half the hex).
  let msg: string | null = initiator.initiate();
  let bytes = 0;
  let rounds = 0;
  while (msg !== null) {
    // nostr-tools implements the client's side of NIP-77: its responder does not answer an id list the initiator sends
    // (a reference relay sends its own ids for that range back), so what it learns there is credited to the
    // initiator here without the bytes a reply would cost. That flatters Negentropy; Kith's replier pays for its answer.
    const reply = responder.reconcile(
      msg,
      (id) => need.push(id),
      (id) => have.push(id),
    );
    bytes += msg.length / 2;
    rounds++;
    if (reply === null) break;
    bytes += reply.length / 2;
    msg = initiator.reconcile(
      reply,
      (id) => have.push(id),
      (id) => need.push(id),
    );
    if (rounds > MAX_ROUNDS) throw new Error('Negentropy reconciliation did not end');
  }
  return { bytes, rounds, ms: performance.now() - t0, need: need.sort(), have: have.sort() };
}

/** One side sends every id; the other answers with the ids the first lacks. */
function naiveBytes(a: Item[], need: number): number {
  return a.length * ID_BYTES + need * ID_BYTES;
}

export function runCase(c: NegentropyCase, seed: string): NegentropyRow {
  const { a, b } = makeSets(c, seed);
  const expected = expectedDiff(a, b);
  const kith = runKith(a, b);
  const negentropy = runNegentropyProtocol(a, b);
  return { ...c, kith, negentropy, naiveBytes: naiveBytes(a, expected.need.length), expected };
}

const count = (n: number) => (n >= 1e6 ? `${n / 1e6}M` : n >= 1e3 ? `${n / 1e3}k` : String(n));
const kb = (n: number) => (n / 1000).toFixed(1);

function results(rows: NegentropyRow[], seed: string, withChart: boolean): Results {
  const table: Results = {
    title: 'Set reconciliation: Kith beside Negentropy',
    machine: machineLine(),
    columns: [
      'items',
      'differences',
      'Kith bytes',
      'Kith round trips',
      'Negentropy bytes',
      'Negentropy round trips',
      'send all ids bytes',
      'Kith / Negentropy bytes',
    ],
    rows: rows.map((r) => [
      count(r.items),
      r.diffs,
      r.kith.bytes,
      r.kith.rounds,
      r.negentropy.bytes,
      r.negentropy.rounds,
      r.naiveBytes,
      (r.kith.bytes / r.negentropy.bytes).toFixed(2),
    ]),
    notes: [
      'Items are (timestamp in seconds over one year, random 32-byte id), the same for both; the differences are scattered, alternately missing on each side. (Kith stores ms; its bounds would cost a byte or so more each.)',
      'Bytes are the binary messages both ways (Negentropy travels as hex inside NIP-77 JSON frames, which doubles it; not counted).',
      'A round trip is one message and its reply. "Send all ids" is one side sending every id and the other answering with the ids it lacks.',
      `Negentropy: nostr-tools ${nostrToolsVersion()} with its defaults (16 buckets, id lists under 32 items, 16-byte fingerprints, 60 KB frames). ` +
        'Its responder does not answer the id lists the initiator sends (a reference relay sends its own ids back); what it learns there is counted as found, without the bytes of a reply, which favours Negentropy.',
      `Seed ${seed}.`,
    ],
    chart: {
      type: 'bar',
      labels: rows.map((r) => `${count(r.items)} / ${r.diffs}`),
      datasets: [
        { label: 'Kith', data: rows.map((r) => r.kith.bytes) },
        { label: 'Negentropy', data: rows.map((r) => r.negentropy.bytes) },
        { label: 'send all ids', data: rows.map((r) => r.naiveBytes) },
      ],
      xTitle: 'items / differences',
      yTitle: 'bytes exchanged (log scale)',
      logY: true,
    },
  };
  return withChart ? table : { ...table, chart: undefined };
}

/** Runs every case, prints each line as it is measured, and writes the results table and chart. */
export async function runNegentropy(opts: {
  items: number[];
  diffs: number[];
  seed?: string;
  json?: boolean;
  resultsDir?: string;
  log?: (line: string) => void;
}): Promise<{ rows: NegentropyRow[]; seed: string; files: { markdown: string; png?: string } }> {
  const seed = opts.seed ?? randomBytes(8).toString('hex');
  const progress = progressLine(opts.json ?? false);
  const say = (line: string) => {
    progress('');
    if (!opts.json) (opts.log ?? console.log)(line);
  };
  say(`reconciliation, Kith beside Negentropy (nostr-tools NIP-77), both sides in one process; items from seed ${seed} (--seed ${seed} to repeat)`);
  say(
    `${'items'.padStart(8)} ${'differ'.padStart(7)} | ${'Kith KB'.padStart(9)} ${'rt'.padStart(3)} ${'ms'.padStart(6)} | ${'Negentropy KB'.padStart(13)} ${'rt'.padStart(3)} ${'ms'.padStart(6)} | ${'naive KB'.padStart(9)} | Kith/Neg bytes`,
  );
  const rows: NegentropyRow[] = [];
  for (const items of opts.items)
    for (const diffs of opts.diffs) {
      progress(`reconciling ${count(items)} items with ${diffs} differences`);
      const r = runCase({ items, diffs }, seed);
      rows.push(r);
      // The table so far, so a long run stopped part way still leaves what it measured; the chart comes at the end.
      await writeResults('negentropy', results(rows, seed, false), opts.resultsDir !== undefined ? { dir: opts.resultsDir } : {});
      const ok = (s: SideResult) => s.need.join() === r.expected.need.join() && s.have.join() === r.expected.have.join();
      say(
        `${count(items).padStart(8)} ${String(diffs).padStart(7)} | ${kb(r.kith.bytes).padStart(9)} ${String(r.kith.rounds).padStart(3)} ${r.kith.ms.toFixed(0).padStart(6)} | ` +
          `${kb(r.negentropy.bytes).padStart(13)} ${String(r.negentropy.rounds).padStart(3)} ${r.negentropy.ms.toFixed(0).padStart(6)} | ${kb(r.naiveBytes).padStart(9)} | ` +
          `${(r.kith.bytes / r.negentropy.bytes).toFixed(2)}${ok(r.kith) ? '' : '  KITH FOUND A WRONG DIFFERENCE'}${ok(r.negentropy) ? '' : '  NEGENTROPY FOUND A WRONG DIFFERENCE'}`,
      );
    }
  const files = await writeResults('negentropy', results(rows, seed, true), opts.resultsDir !== undefined ? { dir: opts.resultsDir } : {});
  say(`results: ${files.markdown}${files.png ? ` and ${files.png}` : ''}`);
  return { rows, seed, files };
}

/** The installed nostr-tools version, read from its package.json (its exports do not list that file). */
function nostrToolsVersion(): string {
  // Its lib/cjs folder holds a package.json of its own (just the module type): walk up to the package's.
  for (let dir = dirname(createRequire(import.meta.url).resolve('nostr-tools')); dirname(dir) !== dir; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    if (!existsSync(file)) continue;
    const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (pkg.name === 'nostr-tools' && pkg.version) return pkg.version;
  }
  return '(version unknown)';
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const args = process.argv.slice(2);
  const json = args.includes('--json');
  const seedAt = args.indexOf('--seed');
  try {
    const { rows, seed } = await runNegentropy({
      items: listArg(args, '--items', [10_000, 100_000, 1_000_000]),
      diffs: listArg(args, '--diffs', [1, 100, 10_000]),
      json,
      ...(seedAt >= 0 && args[seedAt + 1] ? { seed: args[seedAt + 1]! } : {}),
    });
    if (json)
      console.log(
        JSON.stringify({
          seed,
          rows: rows.map((r) => ({
            items: r.items,
            diffs: r.diffs,
            kith: { bytes: r.kith.bytes, rounds: r.kith.rounds, ms: Math.round(r.kith.ms) },
            negentropy: { bytes: r.negentropy.bytes, rounds: r.negentropy.rounds, ms: Math.round(r.negentropy.ms) },
            naiveBytes: r.naiveBytes,
          })),
        }),
      );
  } finally {
    await closeChartBrowser();
  }
}
