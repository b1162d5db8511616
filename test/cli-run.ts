import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { repoRoot } from './helpers.js';
import { KITH } from './node-process.js';

/**
 * Runs `kith` the way a person in a fresh clone would: no Kith settings, no
 * npm variables, and no `kith` on PATH (a developer's `npm link` would
 * otherwise change the command the hints name). For tests of what the
 * command prints.
 */

const RUN_TIMEOUT_MS = 60_000;

export interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  /** Written to stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Set after the clean environment is made (PATH included). */
  env?: Record<string, string>;
}

/** The environment of a child: ours without KITH_*, npm_* and INIT_CWD, and PATH without any folder that holds a `kith`. */
export function cleanEnv(home: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('KITH_') && !k.startsWith('npm_') && k !== 'INIT_CWD'));
  const path = (process.env.PATH ?? '')
    .split(delimiter)
    .filter((d) => d !== '' && !existsSync(join(d, 'kith')))
    .join(delimiter);
  return { ...env, PATH: path, KITH_HOME: home, ...extra };
}

export function run(home: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  const child = spawn(process.execPath, [KITH, ...args], {
    cwd: opts.cwd ?? repoRoot,
    env: cleanEnv(home, opts.env),
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  if (opts.input !== undefined) child.stdin!.end(opts.input);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`kith ${args.join(' ')} did not finish in ${RUN_TIMEOUT_MS} ms\n${stderr}`));
    }, RUN_TIMEOUT_MS);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** A command with --json that must succeed: its output. */
export async function runJson(home: string, args: string[], opts: RunOptions = {}): Promise<any> {
  const r = await run(home, [...args, '--json'], opts);
  assert.equal(r.code, 0, `kith ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** A command with --json that must fail with exit 1: its error. */
export async function runRefused(home: string, args: string[], opts: RunOptions = {}): Promise<{ code: string; message: string }> {
  const r = await run(home, [...args, '--json'], opts);
  assert.equal(r.code, 1, `kith ${args.join(' ')} exited ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  const out = JSON.parse(r.stdout) as { ok: boolean; error: { code: string; message: string } };
  assert.equal(out.ok, false);
  return out.error;
}

export const escapeRegExp = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
