import { createHash, randomBytes } from 'node:crypto';

/**
 * Random test data that can be had again: bytes drawn from a seed (SHA-256 of
 * the seed and a counter), the seed printed when the generator is made. A test
 * that failed on some data runs on the same data with KITH_TEST_SEED set to the
 * printed seed; without it, every run draws a fresh seed.
 */
export interface SeededRandom {
  readonly seed: string;
  bytes(n: number): Uint8Array;
}

export function seededRandom(what: string): SeededRandom {
  const given = process.env.KITH_TEST_SEED;
  if (given !== undefined && !/^[0-9a-f]{1,64}$/i.test(given)) throw new Error(`KITH_TEST_SEED must be hex (as printed by a run), not "${given}"`);
  const seed = given ?? randomBytes(8).toString('hex');
  console.log(`${what}: random data from seed ${seed} (run again with KITH_TEST_SEED=${seed})`);
  let counter = 0;
  return {
    seed,
    bytes(n: number): Uint8Array {
      const out = new Uint8Array(n);
      for (let at = 0; at < n; at += 32) {
        const block = createHash('sha256').update(seed).update(String(counter++)).digest();
        out.set(block.subarray(0, Math.min(32, n - at)), at);
      }
      return out;
    },
  };
}
