import { createServer } from 'node:net';
import { fail } from '../core/errors.js';

/**
 * Ports `kith start` listens on, checked before anything is created or
 * started, so a taken one gets a sentence naming the option that changes it
 * (libp2p's own error is a stack trace), and a taken default web app port
 * gives way to a free one: several nodes run side by side on one machine.
 */

/** True when nothing listens on host:port; false when it is taken; undefined when the test itself failed (say, not an address of this machine). */
export function portIsFree(host: string, port: number): Promise<boolean | undefined> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', (e: NodeJS.ErrnoException) => resolve(e.code === 'EADDRINUSE' ? false : undefined));
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve(true)));
  });
}

/** Refuses at once when an explicitly chosen port is taken, naming the option; any other trouble is left to the listener's own error. */
export async function requireFreePort(host: string, port: number, option: string): Promise<void> {
  if (port === 0) return;
  if ((await portIsFree(host, port)) === false) fail('io', `port ${port} on ${host} is already in use; choose another with ${option} (0 picks any free port)`);
}

/**
 * The web app's port: the one asked for (which must be free), else the
 * default, else any free port when the default is taken (by another node of
 * this user, most likely). `gaveWay` names the default that was taken.
 */
export async function chooseApiPort(host: string, requested: number | undefined, preferred: number): Promise<{ port: number; gaveWay?: number }> {
  if (requested !== undefined) {
    await requireFreePort(host, requested, '--api-port');
    return { port: requested };
  }
  return (await portIsFree(host, preferred)) === false ? { port: 0, gaveWay: preferred } : { port: preferred };
}
