import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { repoRoot, tempDir } from './helpers.js';

/**
 * A public clone has no ../shared beside it. This copies the repository's files (those git tracks,
 * and new ones it does not ignore) into a temporary folder outside the checkout's parent, builds
 * the copy, and runs the tests that read the official vectors there: they must find them inside
 * the repository. No network: node_modules is linked, not installed.
 */

/** Test files that read the vectors, run whole in the copy. */
const VECTOR_FILES = ['vectors-copies', 'vectors-didkey', 'vectors-ed25519', 'vectors-eddsa-jcs-2022', 'vectors-jcs', 'eris'];
/** Test files that read one vector among other work: only the test that reads it runs in the copy. */
const PARTLY: Record<string, RegExp> = { cli: /a W3C vector/ };
/** Building and running in the copy, on a busy two-core machine. */
const STEP_TIMEOUT_MS = 8 * 60_000;

const made: string[] = [];
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  out: string;
}

/** Our environment without the marker that makes a nested `node --test` report to this runner instead of printing. */
function childEnv(): NodeJS.ProcessEnv {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  return env;
}

function run(cmd: string, args: string[], cwd: string): Promise<Ran> {
  const child = spawn(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], env: childEnv() });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${cmd} ${args.join(' ')} did not finish in ${STEP_TIMEOUT_MS} ms\n${out}`));
    }, STEP_TIMEOUT_MS);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

/** The totals a `node --test` TAP run ends with. */
function totals(out: string): Record<string, number> {
  const t: Record<string, number> = {};
  for (const m of out.matchAll(/^# (tests|pass|fail|cancelled|skipped|todo) (\d+)$/gm)) t[m[1]!] = Number(m[2]);
  return t;
}

test('the vector tests pass in a copy of the repository that has no ../shared beside it', { timeout: 3 * STEP_TIMEOUT_MS }, async (t) => {
  // Every test file that reads the vectors is run below; a new one must be added to the lists.
  const readers = readdirSync(join(repoRoot, 'test'))
    .filter((f) => f.endsWith('.test.ts') && f !== 'vectors-in-clone.test.ts')
    .filter((f) => /\b(readVector|readVectorJson|vectorsDir)\b/.test(readFileSync(join(repoRoot, 'test', f), 'utf8')))
    .map((f) => f.replace(/\.test\.ts$/, ''));
  assert.ok(readers.length > 0);
  for (const r of readers) assert.ok(VECTOR_FILES.includes(r) || r in PARTLY, `${r}.test.ts reads the vectors but is not run in the copy`);

  const listed = await run('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], repoRoot);
  assert.equal(listed.code, 0, `git ls-files in ${repoRoot}: ${listed.out}`);
  const files = listed.out.split('\0').filter((f) => f !== '' && existsSync(join(repoRoot, f)) && statSync(join(repoRoot, f)).isFile());
  assert.ok(files.includes('test/vectors/README.md'), 'the vectors are part of the repository');

  const parent = tempDir('kith-clone-');
  made.push(parent);
  const copy = join(parent, 'kith');
  for (const f of files) {
    mkdirSync(dirname(join(copy, f)), { recursive: true });
    copyFileSync(join(repoRoot, f), join(copy, f));
  }
  symlinkSync(realpathSync(join(repoRoot, 'node_modules')), join(copy, 'node_modules'), 'dir');
  assert.equal(existsSync(join(copy, '..', 'shared')), false, 'nothing named shared beside the copy');
  assert.equal(existsSync(join(copy, 'dist')), false, 'the copy starts unbuilt');

  const built = await run(process.execPath, [join('node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'], copy);
  assert.equal(built.code, 0, `tsc in the copy:\n${built.out}`);

  // The copy's helpers resolve the vectors inside the copy.
  const where = await run(process.execPath, ['--input-type=module', '-e', `import('./dist/test/helpers.js').then((h) => console.log(h.vectorsDir))`], copy);
  assert.equal(where.code, 0, where.out);
  assert.equal(where.out.trim(), join(copy, 'test', 'vectors'));

  const whole = VECTOR_FILES.map((f) => join('dist', 'test', `${f}.test.js`));
  const ran = await run(process.execPath, ['--test', '--test-reporter=tap', '--test-concurrency=1', ...whole], copy);
  const sum = totals(ran.out);
  assert.equal(ran.code, 0, `the vector tests failed in the copy:\n${ran.out.slice(-20_000)}`);
  assert.equal(sum.fail, 0);
  assert.equal(sum.skipped, 0);
  assert.ok((sum.tests ?? 0) >= VECTOR_FILES.length, `the vector tests ran in the copy (${sum.tests} tests)`);
  assert.equal(sum.pass, sum.tests, 'every vector test passed in the copy');
  t.diagnostic(`in ${copy}: ${sum.pass} vector tests passed`);

  for (const [file, name] of Object.entries(PARTLY)) {
    const one = await run(
      process.execPath,
      ['--test', '--test-reporter=tap', `--test-name-pattern=${name.source}`, join('dist', 'test', `${file}.test.js`)],
      copy,
    );
    const s = totals(one.out);
    assert.equal(one.code, 0, `${file}: the test that reads a vector failed in the copy:\n${one.out.slice(-20_000)}`);
    assert.equal(s.fail, 0);
    assert.ok((s.pass ?? 0) >= 1, `${file}: the test matching ${name} ran in the copy`);
  }
});
