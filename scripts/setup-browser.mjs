#!/usr/bin/env node
// The browser tests drive Debian's Chromium with playwright-core (which never
// downloads a browser of its own), and their screenshots need a colour emoji
// font, or emoji show as empty boxes. Installs what is missing, so CI and a
// new machine need nothing done by hand. Only Node's own modules here.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.KITH_CHROMIUM ?? '/usr/bin/chromium';
const EMOJI_FONT = 'Noto Color Emoji';
const EMOJI_PACKAGE = 'fonts-noto-color-emoji';
const say = (msg) => process.stderr.write(`kith setup: ${msg}\n`);

/** Whether fontconfig, which Chromium asks for fonts on Linux, knows a colour emoji font. */
function hasEmojiFont() {
  if (process.platform !== 'linux') return true; // macOS and Windows ship one
  try {
    return execFileSync('fc-list', [':', 'family'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).includes(EMOJI_FONT);
  } catch {
    // no fontconfig yet (it comes with Chromium): the font cannot be there either
    return false;
  }
}

const missing = [];
if (!existsSync(CHROMIUM)) missing.push('chromium');
if (!hasEmojiFont()) missing.push(EMOJI_PACKAGE);

if (missing.length > 0) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = root ? [] : ['sudo', '-n'];
  if (!root && !existsSync('/usr/bin/sudo')) {
    console.error(
      `kith setup: the browser tests need ${missing.map((p) => `Debian's "${p}" package`).join(' and ')} (as root: apt-get install ${missing.join(' ')})` +
        (missing.includes('chromium') ? `, or set KITH_CHROMIUM to a Chromium binary.` : '.'),
    );
    process.exit(1);
  }
  say(`installing ${missing.join(' and ')} from Debian for the browser tests (a few minutes, once)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    const [cmd, ...rest] = [...sudo, 'apt-get', ...args];
    execFileSync(cmd, rest, { stdio: ['ignore', 'inherit', 'inherit'], env });
  };
  apt(['-qq', 'update']);
  apt(['-y', '-qq', 'install', ...missing]);
  if (!existsSync(CHROMIUM)) {
    console.error(`kith setup: Chromium was installed but ${CHROMIUM} is still missing; set KITH_CHROMIUM to its path.`);
    process.exit(1);
  }
  if (!hasEmojiFont()) {
    console.error(`kith setup: ${EMOJI_PACKAGE} was installed but fontconfig does not list "${EMOJI_FONT}"; run fc-cache -f and try again.`);
    process.exit(1);
  }
}
