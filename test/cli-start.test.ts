import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { repoRoot, tempDir, waitFor } from './helpers.js';
import { KITH, startNode } from './node-process.js';
import { cleanEnv, escapeRegExp as escaped, run, runJson, runRefused } from './cli-run.js';

/**
 * `kith start` as a person meets it: one node per home (a second start
 * refuses, naming the first), a crash that does not block the next start,
 * taken ports named in a sentence, an identity created by a run that then
 * failed, and the display name asked at a terminal only.
 */

const LOOPBACK = ['--host', '127.0.0.1', '--no-mdns', '--no-relay'];

const made: string[] = [];
function home(): string {
  const dir = tempDir('kith-start-');
  made.push(dir);
  return dir;
}
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function lockPid(dir: string): number {
  return (JSON.parse(readFileSync(join(dir, 'node.lock'), 'utf8')) as { pid: number }).pid;
}

/** A listener on a port the system picked, standing in for "something else has this port". */
async function occupy(host = '127.0.0.1'): Promise<{ port: number; server: Server }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, () => resolve()));
  return { port: (server.address() as { port: number }).port, server };
}

describe('kith start', { concurrency: 2 }, () => {
  test('a second start on the same home exits naming the first one’s process; the first keeps working and keeps its control.json', async () => {
    const dir = home();
    const first = await startNode(dir);
    try {
      const controlFile = join(dir, 'control.json');
      const control = readFileSync(controlFile, 'utf8');
      assert.equal(lockPid(dir), first.child.pid);

      const e = await runRefused(dir, ['start', '--port', '0', '--api-port', '0', ...LOOPBACK]);
      assert.equal(e.code, 'conflict');
      assert.match(e.message, new RegExp(`already running on ${escaped(dir)} \\(process ${first.child.pid}\\)`));
      const human = await run(dir, ['start', '--port', '0', '--api-port', '0', ...LOOPBACK]);
      assert.equal(human.code, 1);
      assert.equal(human.stdout, '');
      assert.match(human.stderr, new RegExp(`^kith: a Kith node is already running .*process ${first.child.pid}`));

      // The second start touched nothing of the first's.
      assert.equal(readFileSync(controlFile, 'utf8'), control);
      assert.equal(lockPid(dir), first.child.pid);
      const status = await runJson(dir, ['status']);
      assert.equal(status.running, true);
      assert.equal(status.peerId, first.info.peerId);
      const posted = await runJson(dir, ['post', 'still the only node here']);
      assert.equal(typeof posted.pushedTo, 'number', 'the post went through the running node');
      assert.doesNotMatch(first.log(), /dial self/i);
    } finally {
      assert.equal(await first.stop(), 0);
    }
    assert.equal(existsSync(join(dir, 'control.json')), false);
    assert.equal(existsSync(join(dir, 'node.lock')), false, 'a clean stop frees the home');
  });

  test('a node killed with SIGKILL leaves a stale lock that the next start takes over', async () => {
    const dir = home();
    const first = await startNode(dir);
    const pid = first.child.pid!;
    await first.kill9();
    assert.equal(lockPid(dir), pid, 'nothing cleaned up after a kill');
    const again = await startNode(dir);
    try {
      assert.equal(again.info.did, first.info.did);
      assert.equal(lockPid(dir), again.child.pid);
      assert.equal((await runJson(dir, ['status'])).running, true);
    } finally {
      assert.equal(await again.stop(), 0);
    }
    assert.equal(existsSync(join(dir, 'node.lock')), false);
  });

  test('a taken --port, --ws-port or --api-port is named in a sentence, before an identity is created or anything listens', async () => {
    const taken = await occupy();
    try {
      const fresh = home();
      const e = await runRefused(fresh, ['start', '--port', String(taken.port), '--api-port', '0', ...LOOPBACK]);
      assert.equal(e.code, 'io');
      assert.equal(e.message, `port ${taken.port} on 127.0.0.1 is already in use; choose another with --port (0 picks any free port)`);
      for (const f of ['identity.key', 'kith.db', 'control.json', 'node.lock']) assert.equal(existsSync(join(fresh, f)), false, `${f} was not made`);
      const human = await run(fresh, ['start', '--port', String(taken.port), '--api-port', '0', ...LOOPBACK]);
      assert.equal(human.code, 1);
      assert.equal(human.stderr, `kith: ${e.message}\n`, 'one sentence, no stack trace');

      const dir = home();
      await runJson(dir, ['init']);
      const ws = await runRefused(dir, ['start', '--port', '0', '--ws-port', String(taken.port), '--api-port', '0', ...LOOPBACK]);
      assert.match(ws.message, new RegExp(`^port ${taken.port} on 127\\.0\\.0\\.1 is already in use; choose another with --ws-port`));
      const api = await runRefused(dir, ['start', '--port', '0', '--api-port', String(taken.port), ...LOOPBACK]);
      assert.match(api.message, new RegExp(`^port ${taken.port} on 127\\.0\\.0\\.1 is already in use; choose another with --api-port`));
      assert.equal(existsSync(join(dir, 'control.json')), false);
      assert.equal(existsSync(join(dir, 'node.lock')), false);
    } finally {
      taken.server.close();
    }
  });

  test('a first run that fails after creating the identity says so, and how to see its phrase', async () => {
    const dir = home();
    // An address this machine does not have: the web app cannot listen there, after the identity exists.
    const e = await runRefused(dir, ['start', '--port', '0', '--api-port', '0', '--api-host', '203.0.113.1', ...LOOPBACK]);
    assert.equal(e.code, 'io');
    assert.match(e.message, /^cannot serve the web app on 203\.0\.113\.1:0/);
    const did = /Your new identity (did:key:\S+) was created in (\S+) and stays; see its recovery phrase with: (.+)$/.exec(e.message);
    assert.ok(did, e.message);
    assert.equal(did[2], dir);
    assert.equal(did[3], `npx kith phrase --home ${dir}`);
    assert.equal((await runJson(dir, ['whoami'])).did, did[1]);
    assert.equal((await runJson(dir, ['phrase'])).recoveryPhrase.split(' ').length, 24);
    assert.equal(existsSync(join(dir, 'node.lock')), false);
    assert.equal(existsSync(join(dir, 'control.json')), false);
    // The next run does not create another one, and says nothing of creating.
    const again = await runRefused(dir, ['start', '--port', '0', '--api-port', '0', '--api-host', '203.0.113.1', ...LOOPBACK]);
    assert.doesNotMatch(again.message, /new identity/);
    assert.equal((await runJson(dir, ['whoami'])).did, did[1]);
  });

  test('at a terminal, a first start asks for a display name; with a pipe for standard input it never waits', async () => {
    // A pipe that stays open and is never written: a start that read it would hang here.
    const piped = home();
    const quiet = spawn(process.execPath, [KITH, 'start', '--port', '0', '--api-port', '0', ...LOOPBACK], {
      cwd: repoRoot,
      env: cleanEnv(piped),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const quietEnded = new Promise<number | null>((resolve) => quiet.once('exit', (code) => resolve(code)));
    let quietOut = '';
    quiet.stdout.setEncoding('utf8').on('data', (d: string) => (quietOut += d));
    try {
      await waitFor('the piped start to run', () => quietOut.includes('Press Ctrl+C to stop.'), 60_000);
      assert.match(quietOut, /^Created a new identity\./);
      assert.match(quietOut, new RegExp(`profile +no display name yet; set one with: npx kith profile --name "Your Name" --home ${escaped(piped)}\\n`));
      assert.match(quietOut, new RegExp(`pair +add a phone, tablet or browser with: npx kith pair --home ${escaped(piped)}\\n`));
      assert.equal((await runJson(piped, ['profile'])).name, null);
      quiet.kill('SIGTERM');
      assert.equal(await quietEnded, 0);
    } finally {
      quiet.kill('SIGKILL');
    }

    // `script` gives the command a terminal; what is written to it is typed there.
    const dir = home();
    const command = [process.execPath, KITH, 'start', '--port', '0', '--api-port', '0', ...LOOPBACK].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
    const terminal = spawn('script', ['-qec', command, '/dev/null'], { cwd: repoRoot, env: cleanEnv(dir), stdio: ['pipe', 'pipe', 'pipe'] });
    let screen = '';
    terminal.stdout.setEncoding('utf8').on('data', (d: string) => (screen += d));
    terminal.stderr.setEncoding('utf8').on('data', (d: string) => (screen += d));
    const ended = new Promise<number | null>((resolve) => terminal.once('exit', (code) => resolve(code)));
    try {
      await waitFor('the display name question', () => screen.includes('Your display name'), 60_000);
      assert.equal(existsSync(join(dir, 'identity.key')), false, 'nothing is created before the answer');
      terminal.stdin.write('Erin Example\r');
      await waitFor('the node to run', () => screen.includes('Press Ctrl+C to stop.'), 60_000);
      assert.match(screen, /name +Erin Example/);
      const profile = await runJson(dir, ['profile']);
      assert.equal(profile.name, 'Erin Example');
      assert.equal((await runJson(dir, ['show', profile.actor])).name, 'Erin Example', 'the name is in the signed actor');
      process.kill(lockPid(dir), 'SIGTERM');
      assert.equal(await ended, 0, screen);
    } finally {
      terminal.kill('SIGKILL');
    }
  });
});
