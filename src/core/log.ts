/**
 * The one logging interface every layer takes: four levels, one line each.
 * Only the shape lives here (core does no I/O); the node's process decides
 * where lines go (see node/logger.ts). Pass `silentLogger` where nobody is
 * listening, never an empty arrow, so a dropped line is a visible choice.
 */
export interface Logger {
  debug(line: string): void;
  info(line: string): void;
  warn(line: string): void;
  error(line: string): void;
}

export const silentLogger: Logger = Object.freeze({
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
});

/** A caught value as a sentence, for a log line: Errors give their message, anything else its string form. */
export function reasonOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
