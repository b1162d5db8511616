import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { readVectorJson } from './helpers.js';
import { verify } from '../src/core/ed25519.js';
import { fromHex, toHex } from '../src/core/bytes.js';

/** Project Wycheproof (C2SP), read from test/vectors as published. */

interface EdTest {
  tcId: number;
  comment: string;
  flags: string[];
  msg: string;
  sig: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface EdGroup {
  type: string;
  publicKey: { pk: string; curve: string };
  tests: EdTest[];
}
interface XTest {
  tcId: number;
  comment: string;
  flags: string[];
  public: string;
  private: string;
  shared: string;
  result: 'valid' | 'invalid' | 'acceptable';
}
interface XGroup {
  type: string;
  curve: string;
  tests: XTest[];
}
interface Suite<G> {
  algorithm: string;
  numberOfTests: number;
  testGroups: G[];
}

test('Wycheproof ed25519_test.json: every case gets its expected verdict from verify()', (t) => {
  const suite = readVectorJson<Suite<EdGroup>>('wycheproof/ed25519_test.json');
  assert.equal(suite.algorithm, 'EDDSA');
  assert.ok(suite.testGroups.length > 0, 'the file has test groups');
  let run = 0;
  let valid = 0;
  let invalid = 0;
  const mismatches: string[] = [];
  for (const group of suite.testGroups) {
    assert.equal(group.type, 'EddsaVerify', `group type ${group.type}`);
    assert.equal(group.publicKey.curve, 'edwards25519');
    const pk = fromHex(group.publicKey.pk);
    for (const tc of group.tests) {
      run++;
      // Wycheproof's Ed25519 file has no `acceptable` cases; if a later
      // version adds one, it must be looked at, not silently passed.
      assert.ok(tc.result === 'valid' || tc.result === 'invalid', `tcId ${tc.tcId}: unexpected result "${tc.result}"`);
      const expected = tc.result === 'valid';
      if (expected) valid++;
      else invalid++;
      let got: boolean;
      try {
        got = verify(pk, fromHex(tc.msg), fromHex(tc.sig));
      } catch (e) {
        mismatches.push(`tcId ${tc.tcId} (${tc.comment}): verify threw ${(e as Error).message}`);
        continue;
      }
      if (got !== expected) mismatches.push(`tcId ${tc.tcId} (${tc.comment}; ${tc.flags.join(',')}): expected ${expected}, got ${got}`);
    }
  }
  assert.deepEqual(mismatches, [], `verdicts differ from Wycheproof:\n${mismatches.join('\n')}`);
  assert.equal(run, suite.numberOfTests, 'number of cases run equals numberOfTests');
  assert.ok(valid > 0 && invalid > 0, 'both valid and invalid cases were run');
  t.diagnostic(`ed25519: ${run} cases (${valid} valid accepted, ${invalid} invalid refused)`);
});

/** X25519 KeyObjects from raw 32-byte keys, through fixed DER prefixes (RFC 8410). */
const X25519_PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');

function x25519Shared(privateRaw: Uint8Array, publicRaw: Uint8Array): Uint8Array {
  assert.equal(privateRaw.length, 32, 'X25519 private key is 32 bytes');
  assert.equal(publicRaw.length, 32, 'X25519 public key is 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([X25519_PKCS8_PREFIX, privateRaw]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey({ key: Buffer.concat([X25519_SPKI_PREFIX, publicRaw]), format: 'der', type: 'spki' });
  return new Uint8Array(diffieHellman({ privateKey, publicKey }));
}

test('Wycheproof x25519_test.json: shared secrets through Node crypto', (t) => {
  const suite = readVectorJson<Suite<XGroup>>('wycheproof/x25519_test.json');
  assert.equal(suite.algorithm, 'XDH');
  assert.ok(suite.testGroups.length > 0, 'the file has test groups');
  let run = 0;
  let valid = 0;
  let acceptableEqual = 0;
  let acceptableRefused = 0;
  let invalidRefused = 0;
  const mismatches: string[] = [];
  for (const group of suite.testGroups) {
    assert.equal(group.type, 'XdhComp', `group type ${group.type}`);
    assert.equal(group.curve, 'curve25519');
    for (const tc of group.tests) {
      run++;
      const label = `tcId ${tc.tcId} (${tc.comment}; ${tc.flags.join(',')})`;
      let shared: string | undefined;
      let error: string | undefined;
      try {
        shared = toHex(x25519Shared(fromHex(tc.private), fromHex(tc.public)));
      } catch (e) {
        error = (e as Error).message;
      }
      switch (tc.result) {
        case 'valid':
          if (shared === tc.shared) valid++;
          else mismatches.push(`${label}: valid case gave ${error !== undefined ? `an error: ${error}` : shared}`);
          break;
        case 'acceptable':
          if (shared === undefined) acceptableRefused++;
          else if (shared === tc.shared) acceptableEqual++;
          else mismatches.push(`${label}: acceptable case gave a different secret ${shared}`);
          break;
        case 'invalid':
          if (shared === undefined) invalidRefused++;
          else mismatches.push(`${label}: invalid case was not refused`);
          break;
        default:
          mismatches.push(`${label}: unknown result ${String(tc.result)}`);
      }
    }
  }
  assert.deepEqual(mismatches, [], `X25519 results differ from Wycheproof:\n${mismatches.join('\n')}`);
  assert.equal(run, suite.numberOfTests, 'number of cases run equals numberOfTests');
  assert.ok(valid > 0, 'valid cases were run');
  t.diagnostic(
    `x25519: ${run} cases: ${valid} valid equal; acceptable: ${acceptableEqual} equal, ${acceptableRefused} refused; ${invalidRefused} invalid refused`,
  );
});
