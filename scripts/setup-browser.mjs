#!/usr/bin/env node
// The browser tests drive Debian's Chromium with playwright-core (which never
// downloads a browser of its own). Installs it when it is missing, so CI and
// a new machine need nothing done by hand. Only Node's own modules here.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const CHROMIUM = process.env.KITH_CHROMIUM ?? '/usr/bin/chromium';
const say = (msg) => process.stderr.write(`kith setup: ${msg}\n`);

if (!existsSync(CHROMIUM)) {
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = root ? [] : ['sudo', '-n'];
  if (!root && !existsSync('/usr/bin/sudo')) {
    console.error(`kith setup: the browser tests need Chromium at ${CHROMIUM}. Install Debian's "chromium" package (as root: apt-get install chromium), or set KITH_CHROMIUM to a Chromium binary.`);
    process.exit(1);
  }
  say('installing Chromium from Debian for the browser tests (a few minutes, once)…');
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args) => {
    const [cmd, ...rest] = [...sudo, 'apt-get', ...args];
    execFileSync(cmd, rest, { stdio: ['ignore', 'inherit', 'inherit'], env });
  };
  apt(['-qq', 'update']);
  apt(['-y', '-qq', 'install', 'chromium']);
  if (!existsSync(CHROMIUM)) {
    console.error(`kith setup: Chromium was installed but ${CHROMIUM} is still missing; set KITH_CHROMIUM to its path.`);
    process.exit(1);
  }
}
