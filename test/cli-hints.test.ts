import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { repoRoot, tempDir } from './helpers.js';
import { KITH } from './node-process.js';
import { cleanEnv, escapeRegExp, run, runJson, runRefused } from './cli-run.js';

/**
 * Every hint that names a command names one that works where it was run:
 * `npx kith` in a clone, `node …/bin/kith.js` outside it, `kith` when that
 * is on PATH, with `--home` when the home is not the default one.
 */

const made: string[] = [];
function tmp(): string {
  const dir = tempDir('kith-hints-');
  made.push(dir);
  return dir;
}
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** The hint `kith following` prints for a home that follows nobody. */
async function followHint(home: string, opts: Parameters<typeof run>[2] = {}): Promise<string> {
  const r = await run(home, ['following'], opts);
  assert.equal(r.code, 0, r.stderr);
  const m = /^You follow nobody yet\. Follow with: (.*)\n$/.exec(r.stdout);
  assert.ok(m, r.stdout);
  return m[1]!;
}

describe('command hints', { concurrency: 2 }, () => {
  test('in a clone, outside it, and installed on PATH', async () => {
    const home = tmp();
    await runJson(home, ['init']);
    const script = realpathSync(KITH);

    assert.equal(await followHint(home), `npx kith follow <did> --home ${home}`);
    assert.equal(await followHint(home, { cwd: join(repoRoot, 'src') }), `npx kith follow <did> --home ${home}`, 'anywhere inside the clone');
    const elsewhere = tmp();
    assert.equal(await followHint(home, { cwd: elsewhere }), `node ${script} follow <did> --home ${home}`);

    // `npm link` or a global install: a `kith` on PATH that is this very script.
    const bin = join(tmp(), 'bin');
    mkdirSync(bin);
    symlinkSync(KITH, join(bin, 'kith'));
    const onPath = { cwd: elsewhere, env: { PATH: `${bin}${delimiter}${cleanEnv(home).PATH ?? ''}` } };
    assert.equal(await followHint(home, onPath), `kith follow <did> --home ${home}`);
    // A `kith` on PATH that is another copy is not this one.
    const otherBin = join(tmp(), 'bin');
    mkdirSync(otherBin);
    writeFileSync(join(otherBin, 'kith'), '#!/bin/sh\n', { mode: 0o755 });
    assert.equal(await followHint(home, { cwd: elsewhere, env: { PATH: otherBin } }), `node ${script} follow <did> --home ${home}`);

    // npm start runs in the clone's folder; where the person typed it decides.
    assert.equal(await followHint(home, { env: { npm_command: 'start', INIT_CWD: elsewhere } }), `node ${script} follow <did> --home ${home}`);
    assert.equal(await followHint(home, { cwd: elsewhere, env: { npm_command: 'start', INIT_CWD: repoRoot } }), `npx kith follow <did> --home ${home}`);
    // …and the node_modules/.bin folders npm puts on PATH for the script are not the person's PATH.
    const npmBin = join(tmp(), 'node_modules', '.bin');
    mkdirSync(npmBin, { recursive: true });
    symlinkSync(KITH, join(npmBin, 'kith'));
    assert.equal(await followHint(home, { env: { PATH: npmBin, npm_command: 'start', INIT_CWD: repoRoot } }), `npx kith follow <did> --home ${home}`);
  });

  test('the default home is not named; a home with a space is quoted', async () => {
    // ~/.kith under a HOME of the test's own (an empty KITH_HOME counts as not set).
    const user = tmp();
    const none = await runRefused('', ['whoami'], { env: { HOME: user } });
    assert.equal(none.code, 'not-found');
    assert.equal(none.message, `no identity in ${join(user, '.kith')}; create one with: npx kith init`);
    await runJson('', ['init'], { env: { HOME: user } });
    assert.equal(await followHint('', { env: { HOME: user } }), 'npx kith follow <did>');

    const spaced = join(tmp(), 'my kith');
    await runJson(spaced, ['init']);
    assert.equal(await followHint(spaced), `npx kith follow <did> --home '${spaced}'`);
    // The printed command works as printed (here, its --home as a shell would pass it).
    const status = await run(spaced, ['status']);
    assert.match(status.stdout, new RegExp(`^Node not running \\(start it with: npx kith start --home '${escapeRegExp(spaced)}'\\)\\.`));
  });

  test('init, outbox and the not-running refusals name the command that works', async () => {
    const home = tmp();
    const init = await run(home, ['init']);
    assert.equal(init.code, 0, init.stderr);
    assert.match(init.stdout, /\nRestore it anywhere with: npx kith init --recover\n/);
    assert.match(init.stdout, new RegExp(`\\nGive it a display name with: npx kith profile --name "Your Name" --home ${escapeRegExp(home)}\\n`));
    const outbox = await run(home, ['outbox']);
    assert.equal(outbox.stdout, `Your outbox is empty. Post with: npx kith post "hello" --home ${home}\n`);
    for (const args of [['pair'], ['peers'], ['devices']]) {
      const e = await runRefused(home, args);
      assert.match(e.message, new RegExp(`start it (first )?with: npx kith start --home ${escapeRegExp(home)}$`), args.join(' '));
    }
    const named = tmp();
    const withName = await run(named, ['init', '--name', 'Ann']);
    assert.doesNotMatch(withName.stdout, /display name/);
  });
});
