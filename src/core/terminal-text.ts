/**
 * Text that came from other people (post content, names, device names, error
 * reasons quoting them) is printed to terminals. A terminal obeys escape
 * sequences (C0 and C1 controls: cursor moves, colours, window titles,
 * OSC 8 links, even clipboard writes on some) and reorders text around bidi
 * overrides, so such text could rewrite what a person sees. Every such
 * character is shown as a visible `\uXXXX` instead.
 */

/** Bidi embeddings, overrides, isolates and marks (Unicode's "Trojan Source" set). */
const BIDI = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;
const UNSAFE = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const visible = (c: string): string => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`;

export interface TerminalTextOptions {
  /** Keep line breaks and tabs as they are (multi-line output of our own); otherwise they are escaped too. */
  readonly keepLineBreaks?: boolean;
}

const ONE_LINE: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': ' ' };

/** The text with every control and bidi character made visible, safe to write to a terminal. */
export function forTerminal(text: string, options: TerminalTextOptions = {}): string {
  return text.replace(UNSAFE, (c) => {
    if (options.keepLineBreaks && (c === '\n' || c === '\t')) return c;
    if (BIDI.test(c)) return visible(c);
    return ONE_LINE[c] ?? visible(c);
  });
}
