import { KithError } from '../core/errors.js';
import { forTerminal } from '../core/terminal-text.js';

/** How every command speaks: short lines for people, one JSON document with --json. */
export interface OutputOptions {
  json?: boolean;
}

export interface EmitOptions {
  /** The human text carries escape codes of our own making (a QR code drawn for the terminal) and nobody else's text. */
  readonly ownEscapes?: boolean;
}

export function emit(opts: OutputOptions, data: unknown, human: () => string | string[], how: EmitOptions = {}): void {
  if (opts.json) {
    process.stdout.write(JSON.stringify(data, null, 2) + '\n');
    return;
  }
  const h = human();
  // Human output quotes other people's text (posts, names, device names); JSON output is escaped by JSON itself.
  const text = Array.isArray(h) ? h.join('\n') : h;
  process.stdout.write((how.ownEscapes ? text : forTerminal(text, { keepLineBreaks: true })) + '\n');
}

/** Prints an error for a person (stderr) or a script (JSON on stdout) and sets the exit code. */
export function report(opts: OutputOptions, e: unknown): void {
  const err = e instanceof KithError ? e : undefined;
  const code = err?.code ?? 'internal';
  const message = err?.message ?? (e instanceof Error ? e.message : String(e));
  if (opts.json) process.stdout.write(JSON.stringify({ ok: false, error: { code, message } }, null, 2) + '\n');
  else process.stderr.write(`kith: ${forTerminal(message)}\n`);
  if (!err && process.env.KITH_DEBUG && e instanceof Error) process.stderr.write(`${e.stack}\n`);
  process.exitCode = 1;
}

export function when(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d+Z$/, 'Z');
}
