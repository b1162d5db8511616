/**
 * How tests and benchmarks start Debian's Chromium (installed by
 * scripts/setup-browser.mjs): headless, and without the background
 * connections this machine's closed network refuses.
 */
export const CHROMIUM = process.env.KITH_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
