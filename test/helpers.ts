import assert from 'node:assert/strict';
import { KithError, type ErrorCode } from '../src/core/errors.js';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root (tests run from dist/test). */
export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The official vectors, read where they are: ../shared/vectors beside the repository. */
export const vectorsDir = join(repoRoot, '..', 'shared', 'vectors');

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

/** Asserts that fn throws a KithError with this code (and, if given, a message matching the pattern). */
export function refusedWith(fn: () => unknown, code: string, pattern?: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof KithError, `expected a KithError, got ${String(e)}`);
    assert.equal(e.code, code, `expected code ${code}, got ${e.code}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}

/** Asserts that an asynchronous operation is refused with a KithError with this code (and, if given, a message matching the pattern). */
export async function rejectedWith(p: Promise<unknown>, code: ErrorCode, pattern?: RegExp): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof KithError, `expected a KithError, got ${String(e)}`);
    assert.equal(e.code, code, `expected code ${code}, got ${e.code}: ${e.message}`);
    if (pattern) assert.match(e.message, pattern);
    return true;
  });
}
