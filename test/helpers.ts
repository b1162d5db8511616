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
