import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { type ReadCapability } from '../src/core/eris.js';
import { formatErisUrn, parseErisUrn } from '../src/core/eris-urn.js';
import { refusedWith } from './helpers.js';

/**
 * A URN that is nearly right gets a message saying what is wrong with it,
 * not one that restates the format it already has.
 */

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

test('ERIS URN errors say what is actually wrong', () => {
  const seed = randomBytes(64);
  console.log(`capability seed: ${seed.toString('hex')}`);
  const cap: ReadCapability = { blockSize: 1024, level: 1, rootReference: seed.subarray(0, 32), rootKey: seed.subarray(32) };
  const urn = formatErisUrn(cap);
  const body = urn.slice('urn:eris:'.length);
  const at = (i: number, c: string): string => 'urn:eris:' + body.slice(0, i) + c + body.slice(i + 1);

  // The last character carries 2 spare bits that must be 0: a change there that sets them.
  const last = body.at(-1)!;
  const spoilers = [...BASE32].filter((c) => BASE32.indexOf(c) % 4 !== 0);
  for (const c of spoilers) {
    refusedWith(
      () => parseErisUrn(at(105, c)),
      'bad-encoding',
      new RegExp(`^not a valid ERIS read capability: its last character "${c}" sets bits past the 66 bytes .*changed or mistyped at its end`),
    );
  }
  assert.equal(BASE32.indexOf(last) % 4, 0, 'a URN Kith writes ends in a character with the spare bits clear');
  // A change elsewhere is another valid capability: the parser cannot know (fetching it finds nothing).
  const other = [...BASE32].find((c) => c !== body[50])!;
  assert.notDeepEqual(parseErisUrn(at(50, other)).rootReference, cap.rootReference);

  refusedWith(
    () => parseErisUrn(at(20, 'q')),
    'bad-encoding',
    /^an ERIS URN is uppercase base32 \(A-Z, 2-7\), but character 21 after "urn:eris:" is "q", lowercase: mistyped or changed in copying$/,
  );
  refusedWith(
    () => parseErisUrn(at(7, '0')),
    'bad-encoding',
    /^an ERIS URN is uppercase base32 \(A-Z, 2-7\), but character 8 after "urn:eris:" is "0", not base32 at all/,
  );
  refusedWith(() => parseErisUrn(at(7, '=')), 'bad-encoding', /character 8 .* is "="/);
  // The first two characters hold the block size code: a change there gives a size no ERIS encoder writes.
  refusedWith(
    () => parseErisUrn(at(0, 'C')),
    'malformed',
    /^not a valid ERIS read capability: unknown ERIS block size code 0x[0-9a-f]{2} .*changed or mistyped near its start/,
  );
  // The level byte, set past what a 1 KiB-block tree can need.
  const deep = formatErisUrn({ ...cap, level: 14 });
  const deepBody = deep.slice('urn:eris:'.length);
  const tooDeep = 'urn:eris:' + deepBody.slice(0, 2) + 'Z' + deepBody.slice(3);
  refusedWith(() => parseErisUrn(tooDeep), 'malformed', /^not a valid ERIS read capability: ERIS level \d+ is out of range \(0 to 14/);
});
