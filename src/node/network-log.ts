import type { Logger } from '../core/log.js';

/** How the network's parts write to the log: net/'s line-function seam, and ids short enough to read. */

type LogLevel = keyof Logger;

/**
 * net/ still takes a bare `(line) => void` as its log option. This is the one
 * place that adapts our Logger to it; once net/ takes a Logger, it becomes
 * the logger itself and the level moves into net/.
 */
export function netLog(log: Logger, level: LogLevel = 'info'): (line: string) => void {
  return (line) => log[level](line);
}

/** A peer id, DID or scope cut to its start and end, enough to tell them apart in a log line. */
export const short = (s: string): string => (s.length > 24 ? `${s.slice(0, 14)}…${s.slice(-6)}` : s);
