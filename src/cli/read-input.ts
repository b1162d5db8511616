import { readFileSync } from 'node:fs';
import { fail, KithError } from '../core/errors.js';

/** Reads a file named on the command line, or standard input for "-". */
export function readInput(path: string, maxBytes: number): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(path === '-' ? 0 : path);
  } catch (e) {
    if (e instanceof KithError) throw e;
    return fail('io', `cannot read ${path}: ${(e as Error).message}`);
  }
  if (data.length > maxBytes) fail('too-large', `${path} is ${data.length} bytes; the limit is ${maxBytes}`);
  return data;
}

/**
 * The recovery phrase for `init --recover`: from a file (or "-" for stdin),
 * from $KITH_RECOVERY_PHRASE, or typed at a terminal. Never waits on a
 * standard input that is not a terminal.
 */
export async function readPhrase(phraseFile: string | undefined): Promise<string> {
  if (phraseFile !== undefined) return readInput(phraseFile, 4096).toString('utf8');
  const env = process.env.KITH_RECOVERY_PHRASE;
  if (env) return env;
  if (!process.stdin.isTTY) {
    fail('malformed', 'no recovery phrase given: pass --phrase-file <file> (or - for stdin) or set KITH_RECOVERY_PHRASE');
  }
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question('Recovery phrase (24 words): ');
  } finally {
    rl.close();
  }
}
