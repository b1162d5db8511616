import { readFileSync } from 'node:fs';
import { KithError, type ErrorCode } from '../core/errors.js';
import type { ControlInfo } from '../api/control.js';
import type { Home } from '../node/home.js';
import { processAlive } from '../node/home-lock.js';

/**
 * The CLI's way to a running node: control.json in the home names its
 * loopback address and token. When no node answers there, commands work on
 * the store directly.
 */
export class ControlClient {
  constructor(private readonly info: ControlInfo) {}

  async call<T>(method: 'GET' | 'POST', path: string, body?: unknown, timeoutMs = 120_000): Promise<T> {
    let res: Response;
    try {
      res = await fetch(this.info.url + path, {
        method,
        headers: { authorization: `Bearer ${this.info.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (e) {
      throw new KithError('io', `the running node did not answer: ${(e as Error).message}`);
    }
    const data = (await res.json().catch(() => ({}))) as { error?: { code?: ErrorCode; message?: string } } & T;
    if (!res.ok) throw new KithError(data.error?.code ?? 'io', data.error?.message ?? `the running node answered ${res.status}`);
    return data;
  }
}

/** The running node of this home, or undefined when none is running. */
export async function runningNode(home: Home): Promise<ControlClient | undefined> {
  let info: ControlInfo;
  try {
    info = JSON.parse(readFileSync(home.controlFile, 'utf8')) as ControlInfo;
  } catch {
    return undefined;
  }
  if (typeof info.pid !== 'number' || !processAlive(info.pid)) return undefined;
  const client = new ControlClient(info);
  try {
    await client.call('GET', '/status', undefined, 5000);
    return client;
  } catch {
    return undefined;
  }
}
