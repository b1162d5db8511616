import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { KithNode } from '../src/node/kith-node.js';
import { loadConfig, DEFAULT_CONFIG } from '../src/node/config.js';
import { homePaths } from '../src/node/home.js';
import { refusedWith, tempDir } from './helpers.js';

test('config.json tightens limits, and a bad one is refused with a reason', () => {
  const dir = tempDir();
  try {
    KithNode.init(dir).node.close();
    assert.deepEqual(loadConfig(homePaths(dir)), DEFAULT_CONFIG);

    writeFileSync(join(dir, 'config.json'), JSON.stringify({ limits: { maxObjectBytes: 2000 }, sync: { maxRounds: 10 }, maxSyncsPerMinute: 5 }));
    const config = loadConfig(homePaths(dir));
    assert.equal(config.limits.maxObjectBytes, 2000);
    assert.equal(config.limits.maxDepth, DEFAULT_CONFIG.limits.maxDepth);
    assert.equal(config.sync.maxRounds, 10);
    assert.equal(config.sync.maxObjectBytes, 2000, 'sync frames follow the object limit');
    assert.equal(config.maxSyncsPerMinute, 5);
    const node = KithNode.open(dir);
    try {
      refusedWith(() => node.post({ text: 'x'.repeat(3000) }), 'too-large');
      assert.equal(node.post({ text: 'short' }).status, 'stored');
    } finally {
      node.close();
    }

    for (const [bad, why] of [
      ['{', /not valid JSON/],
      ['[]', /JSON object/],
      [JSON.stringify({ limit: {} }), /"limit" is not a setting/],
      [JSON.stringify({ limits: { maxObjectByte: 5 } }), /limits.maxObjectByte is not a setting/],
      [JSON.stringify({ limits: { maxObjectBytes: -1 } }), /whole number/],
      [JSON.stringify({ maxSyncsPerMinute: 'many' }), /whole number/],
    ] as const) {
      writeFileSync(join(dir, 'config.json'), bad);
      refusedWith(() => loadConfig(homePaths(dir)), 'malformed', why, bad);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
