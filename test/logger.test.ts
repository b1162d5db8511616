import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger, DEFAULT_LOG_LEVEL } from '../src/node/logger.js';
import { refusedWith } from './helpers.js';

const at = new Date('2025-03-04T05:06:07.890Z');

function capture(options: Parameters<typeof createLogger>[0] = {}) {
  const lines: string[] = [];
  const log = createLogger({ now: () => at, write: (l) => lines.push(l), ...options });
  return { log, lines };
}

test('the node log: one line each, time and level first, the text as given', () => {
  const { log, lines } = capture();
  assert.equal(log.level, DEFAULT_LOG_LEVEL);
  log.info('connected to 12D3KooWExample');
  log.warn('peer 12D3KooWExample penalized (offence 1): flooding');
  log.error('something of ours broke');
  assert.deepEqual(lines, [
    '05:06:07  info   connected to 12D3KooWExample\n',
    '05:06:07  warn   peer 12D3KooWExample penalized (offence 1): flooding\n',
    '05:06:07  error  something of ours broke\n',
  ]);
});

test('the level drops what is below it; the option wins over KITH_LOG_LEVEL', () => {
  const quiet = capture({ env: { KITH_LOG_LEVEL: 'warn' } });
  quiet.log.debug('d');
  quiet.log.info('i');
  quiet.log.warn('w');
  quiet.log.error('e');
  assert.deepEqual(
    quiet.lines.map((l) => l.slice(10, 15).trim()),
    ['warn', 'error'],
  );

  const chatty = capture({ env: { KITH_LOG_LEVEL: ' DEBUG ' } });
  chatty.log.debug('d');
  assert.equal(chatty.lines.length, 1);

  const chosen = capture({ level: 'error', env: { KITH_LOG_LEVEL: 'debug' } });
  chosen.log.warn('w');
  assert.equal(chosen.lines.length, 0);
  assert.equal(capture({ env: { KITH_LOG_LEVEL: '' } }).log.level, DEFAULT_LOG_LEVEL);
});

test('a mistyped level is refused with the levels there are', () => {
  refusedWith(() => createLogger({ env: { KITH_LOG_LEVEL: 'verbose' } }), 'malformed', /KITH_LOG_LEVEL must be one of debug, info, warn, error/);
});

test('text from peers cannot break a line or forge one', () => {
  const { log, lines } = capture();
  log.info('sync stopped: bad frame\n05:06:07  error  forged line\r\u0007');
  assert.equal(lines.length, 1);
  assert.equal(lines[0], '05:06:07  info   sync stopped: bad frame\\n05:06:07  error  forged line\\r\\u0007\n');
});
