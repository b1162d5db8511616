import { readFileSync } from 'node:fs';
import { isatty } from 'node:tty';
import { fail, KithError } from '../core/errors.js';
import { MAX_PROFILE_NAME_CHARS, TEXT_STDIN_MAX_BYTES } from '../core/constants.js';

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

/**
 * One line typed at a terminal, the question on stderr; undefined when
 * standard input is not a terminal (never waits on a pipe) or on Ctrl+D.
 * Ctrl+C stops the command.
 */
export async function askLine(question: string): Promise<string | undefined> {
  if (!process.stdin.isTTY) return undefined;
  const { createInterface } = await import('node:readline/promises');
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  const abort = new AbortController();
  let interrupted = false;
  rl.on('SIGINT', () => {
    interrupted = true;
    abort.abort();
  });
  rl.on('close', () => abort.abort());
  try {
    return await rl.question(question, { signal: abort.signal });
  } catch (e) {
    if (interrupted) fail('io', 'stopped (Ctrl+C)');
    if (abort.signal.aborted) return undefined;
    throw e;
  } finally {
    rl.close();
  }
}

/** The display name for a new identity, asked at a terminal only; empty skips it. */
export async function askDisplayName(): Promise<string | undefined> {
  if (!isatty(0)) return undefined;
  process.stderr.write('This is the first run on this home: Kith creates your identity now.\n');
  for (;;) {
    const answer = (await askLine('Your display name, as others will see it (Enter to skip): '))?.trim();
    if (!answer) return undefined;
    if (answer.length <= MAX_PROFILE_NAME_CHARS) return answer;
    process.stderr.write(`That is ${answer.length} characters; a display name has at most ${MAX_PROFILE_NAME_CHARS}.\n`);
  }
}

/** Text given on the command line, or read from standard input for "-" (a terminal gets told how to end it). */
export function textArgument(value: string, what: string): string {
  if (value !== '-') return value;
  // isatty, not process.stdin.isTTY: touching process.stdin makes a terminal non-blocking, and the read below would fail with EAGAIN.
  if (isatty(0)) process.stderr.write(`Type ${what}, then press Ctrl+D on a line of its own.\n`);
  return readInput('-', TEXT_STDIN_MAX_BYTES).toString('utf8').replace(/\s+$/, '');
}
