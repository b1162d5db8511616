import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { chooseApiPort, portIsFree, requireFreePort } from '../src/cli/ports.js';
import { refusedWith } from './helpers.js';

/**
 * The web app's port when none is asked for: the default, or any free port
 * when another node holds it (nodes side by side). Tested with a "default"
 * the system picked, so no test depends on a fixed port.
 */

async function listening(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, port: (server.address() as { port: number }).port };
}

async function freedPort(): Promise<number> {
  const { server, port } = await listening();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

test('a taken default web app port gives way to any free port; an asked-for port must be free', async () => {
  const taken = await listening();
  try {
    assert.equal(await portIsFree('127.0.0.1', taken.port), false);
    assert.deepEqual(await chooseApiPort('127.0.0.1', undefined, taken.port), { port: 0, gaveWay: taken.port });
    // Taken on loopback is taken for every address too.
    assert.deepEqual(await chooseApiPort('0.0.0.0', undefined, taken.port), { port: 0, gaveWay: taken.port });

    const free = await freedPort();
    assert.equal(await portIsFree('127.0.0.1', free), true);
    assert.deepEqual(await chooseApiPort('127.0.0.1', undefined, free), { port: free });
    assert.deepEqual(await chooseApiPort('127.0.0.1', free, taken.port), { port: free }, 'an asked-for port wins over the default');
    assert.deepEqual(await chooseApiPort('127.0.0.1', 0, taken.port), { port: 0 });

    await assert.rejects(chooseApiPort('127.0.0.1', taken.port, free), (e: unknown) => {
      refusedWith(
        () => {
          throw e;
        },
        'io',
        new RegExp(`^port ${taken.port} on 127\\.0\\.0\\.1 is already in use; choose another with --api-port`),
      );
      return true;
    });
    await assert.rejects(requireFreePort('127.0.0.1', taken.port, '--port'), /choose another with --port \(0 picks any free port\)$/);
    await requireFreePort('127.0.0.1', 0, '--port');
    // Not an address of this machine: the probe cannot tell, so the listener's own error will.
    assert.equal(await portIsFree('203.0.113.1', free), undefined);
  } finally {
    taken.server.close();
  }
});
