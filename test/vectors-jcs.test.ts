import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, basename } from 'node:path';
import { vectorsDir } from './helpers.js';
import { canonicalize, canonicalBytes } from '../src/core/jcs.js';
import { toHex } from '../src/core/bytes.js';

/** RFC 8785 vectors (cyberphone/json-canonicalization testdata), read as published. */

const jcsDir = join(vectorsDir, 'jcs');
const inputs = readdirSync(join(jcsDir, 'input'))
  .filter((f) => f.endsWith('.json'))
  .sort();

test('the JCS vector folder has inputs, each with an output and an outhex file', () => {
  assert.ok(inputs.length > 0, 'jcs/input is not empty');
  const outputs = new Set(readdirSync(join(jcsDir, 'output')));
  const outhex = new Set(readdirSync(join(jcsDir, 'outhex')));
  for (const name of inputs) {
    assert.ok(outputs.has(name), `jcs/output/${name} exists`);
    assert.ok(outhex.has(`${basename(name, '.json')}.txt`), `jcs/outhex/${basename(name, '.json')}.txt exists`);
  }
});

for (const name of inputs) {
  test(`JCS ${name}: canonicalize gives exactly output/${name} and outhex/${basename(name, '.json')}.txt`, () => {
    const input = readFileSync(join(jcsDir, 'input', name), 'utf8');
    const expectedBytes = readFileSync(join(jcsDir, 'output', name));
    const hexText = readFileSync(join(jcsDir, 'outhex', `${basename(name, '.json')}.txt`), 'utf8');

    const canonical = canonicalize(JSON.parse(input));
    const bytes = Buffer.from(canonical, 'utf8');
    assert.equal(toHex(bytes), expectedBytes.toString('hex'), `bytes of canonicalize(${name}) equal output/${name}`);
    assert.ok(bytes.equals(expectedBytes));
    assert.ok(canonicalBytes(JSON.parse(input)).equals(expectedBytes), 'canonicalBytes gives the same bytes');

    // outhex: bytes as hex pairs separated by whitespace; only whitespace is normalised.
    const hexPairs = hexText.trim().split(/\s+/);
    assert.ok(
      hexPairs.every((p) => /^[0-9a-fA-F]{2}$/.test(p)),
      `outhex/${name} holds space-separated hex bytes`,
    );
    assert.equal(toHex(bytes), hexPairs.join('').toLowerCase(), `bytes of canonicalize(${name}) equal outhex`);

    // Canonical output is a fixed point.
    assert.equal(canonicalize(JSON.parse(canonical)), canonical);
  });
}
