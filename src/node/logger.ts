import { fail } from '../core/errors.js';
import type { Logger } from '../core/log.js';
// Text from peers reaches the log (error messages, names): one event stays one line, and nobody can forge a line of their own.
import { forTerminal } from '../core/terminal-text.js';

/**
 * The running node's log: one line per event on stderr, `HH:MM:SS  level  text`,
 * dropping lines below the chosen level. A dozen lines of our own rather than
 * pino: pino writes JSON and needs a second package (and a worker thread) to
 * print the plain lines a person watching `kith start` reads, and tests that
 * wait on those lines read them too.
 */

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** The variable that sets the level when no option does. */
export const LOG_LEVEL_VARIABLE = 'KITH_LOG_LEVEL';
export const DEFAULT_LOG_LEVEL: LogLevel = 'info';

export interface LoggerOptions {
  /** Wins over the environment. */
  readonly level?: LogLevel;
  /** Where KITH_LOG_LEVEL is read from; usually process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Receives each finished line, newline included; default stderr. */
  readonly write?: (line: string) => void;
  readonly now?: () => Date;
}

export function parseLogLevel(value: string, where: string): LogLevel {
  const level = value.trim().toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) {
    fail('malformed', `${where} must be one of ${LOG_LEVELS.join(', ')}, not "${value.slice(0, 20)}"`);
  }
  return level as LogLevel;
}

/** UTC wall-clock time, as `kith start` has always printed it. */
const clock = (d: Date): string => d.toISOString().slice(11, 19);

export function createLogger(options: LoggerOptions = {}): Logger & { readonly level: LogLevel } {
  const fromEnv = options.env?.[LOG_LEVEL_VARIABLE];
  const level = options.level ?? (fromEnv !== undefined && fromEnv !== '' ? parseLogLevel(fromEnv, LOG_LEVEL_VARIABLE) : DEFAULT_LOG_LEVEL);
  const write = options.write ?? ((line: string) => void process.stderr.write(line));
  const now = options.now ?? (() => new Date());
  const threshold = LOG_LEVELS.indexOf(level);
  const at =
    (l: LogLevel) =>
    (text: string): void => {
      if (LOG_LEVELS.indexOf(l) < threshold) return;
      write(`${clock(now())}  ${l.padEnd(5)}  ${forTerminal(text)}\n`);
    };
  return Object.freeze({ level, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') });
}
