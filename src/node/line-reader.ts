import { closeSync, openSync, readSync } from 'node:fs';
import { fail } from '../core/errors.js';
import { BACKUP_READ_CHUNK_BYTES } from '../core/constants.js';

export type LineResult =
  | { readonly kind: 'line'; readonly bytes: Buffer }
  /** The file ended cleanly, after a newline (or was empty). */
  | { readonly kind: 'end' }
  /** The file ended in the middle of a line: these bytes and no newline. */
  | { readonly kind: 'cut'; readonly bytes: Buffer }
  /** No newline within the limit: the line is longer than it may be (the bytes read so far are dropped). */
  | { readonly kind: 'too-long' };

/**
 * Reads a file line by line, synchronously (a backup is read inside one database transaction,
 * which cannot wait), never holding more than one line and one chunk: each line has its own limit,
 * given as it is asked for, so a file without newlines cannot make it read everything into memory.
 */
export class LineReader {
  private readonly fd: number;
  private buffer = Buffer.alloc(0);
  private eof = false;
  /** Lines returned so far (the next one is line `lineNumber + 1`). */
  lineNumber = 0;
  /** Bytes of the file consumed by the lines returned so far. */
  offset = 0;

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      fail('io', `cannot read ${path}: ${(e as Error).message}`);
    }
  }

  /** The next line without its newline, or how the file ended, or that it is longer than `maxBytes`. */
  next(maxBytes: number): LineResult {
    for (;;) {
      const nl = this.buffer.indexOf(0x0a);
      if (nl >= 0 && nl <= maxBytes) {
        const bytes = this.buffer.subarray(0, nl);
        this.buffer = this.buffer.subarray(nl + 1);
        this.lineNumber++;
        this.offset += nl + 1;
        return { kind: 'line', bytes };
      }
      if (nl > maxBytes || this.buffer.length > maxBytes) return { kind: 'too-long' };
      if (this.eof) {
        if (this.buffer.length === 0) return { kind: 'end' };
        const bytes = this.buffer;
        this.buffer = Buffer.alloc(0);
        return { kind: 'cut', bytes };
      }
      this.fill();
    }
  }

  close(): void {
    closeSync(this.fd);
  }

  private fill(): void {
    const chunk = Buffer.allocUnsafe(BACKUP_READ_CHUNK_BYTES);
    let n: number;
    try {
      n = readSync(this.fd, chunk, 0, chunk.length, null);
    } catch (e) {
      fail('io', `cannot read ${this.path}: ${(e as Error).message}`);
    }
    if (n === 0) this.eof = true;
    else this.buffer = this.buffer.length === 0 ? chunk.subarray(0, n) : Buffer.concat([this.buffer, chunk.subarray(0, n)]);
  }
}
