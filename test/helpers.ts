import assert from 'node:assert/strict';
import { isKithError, type ErrorCode } from '../src/core/errors.js';
import { mkdtempSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/**
 * The official vectors: copies of ../shared/vectors kept whole inside the repository
 * (test/vectors, see its README), since a public clone has no ../shared beside it.
 */
export const vectorsDir = join(repoRoot, 'test', 'vectors');

export function readVector(path: string): string {
  return readFileSync(join(vectorsDir, path), 'utf8');
}

export function readVectorJson<T = any>(path: string): T {
  return JSON.parse(readVector(path)) as T;
}

export function tempDir(prefix = 'kith-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Polls until the condition holds, or fails naming what it waited for. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * Checks that a caught value is a KithError with this code (and, if given, a message matching the
 * pattern); `label` says which case failed when one test checks many.
 */
function checkRefusal(e: unknown, code: ErrorCode, pattern: RegExp | undefined, label: string | undefined): true {
  const at = label === undefined ? '' : `${label}: `;
  assert.ok(isKithError(e), `${at}expected a KithError, got ${String(e)}`);
  assert.equal(e.code, code, `${at}expected code ${code}, got ${e.code}: ${e.message}`);
  assert.ok(e.message.length > 0, `${at}a refusal says why`);
  if (pattern) assert.match(e.message, pattern, `${at}message`);
  return true;
}

/** Asserts that fn throws a KithError with this code (and, if given, a message matching the pattern). */
export function refusedWith(fn: () => unknown, code: ErrorCode, pattern?: RegExp, label?: string): void {
  assert.throws(fn, (e: unknown) => checkRefusal(e, code, pattern, label), `${label ?? 'the call'} must be refused with ${code}`);
}

/** The same for a promise (or an async function): it rejects with a KithError with this code. */
export async function rejectsWith(p: Promise<unknown> | (() => Promise<unknown>), code: ErrorCode, pattern?: RegExp, label?: string): Promise<void> {
  await assert.rejects(p, (e: unknown) => checkRefusal(e, code, pattern, label), `${label ?? 'the call'} must be refused with ${code}`);
}

/** Every file under a folder, however deep. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true })
    .map((f) => join(dir, String(f)))
    .filter((p) => statSync(p).isFile());
}
