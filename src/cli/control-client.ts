import { readFileSync } from 'node:fs';
import { KithError, type ErrorCode } from '../core/errors.js';
import { CONTROL_CALL_TIMEOUT_MS, CONTROL_PROBE_TIMEOUT_MS } from '../core/constants.js';
import type { ControlInfo } from '../api/control.js';
import type { ControlBody, ControlResult, ControlRoute } from '../api/control-routes.js';
import type { ErrorBody } from '../api/http-status.js';
import type { Home } from '../node/home.js';
import { processAlive } from '../node/home-lock.js';

/**
 * The CLI's way to a running node: control.json in the home names its
 * loopback address and token. When no node answers there, commands work on
 * the store directly. Calls are typed by the endpoint's route map, so each
 * command sends what its route takes and gets what it answers.
 */

/** A route's body as call() arguments: none for routes that take no body. */
type BodyArgs<K extends ControlRoute> = ControlBody<K> extends undefined ? [] : [body: ControlBody<K>];

export class ControlClient {
  constructor(private readonly info: ControlInfo) {}

  call<K extends ControlRoute>(route: K, ...body: BodyArgs<K>): Promise<ControlResult<K>> {
    return this.send(route, body[0], CONTROL_CALL_TIMEOUT_MS);
  }

  /** Whether the node answers at all, quickly. */
  async answers(): Promise<boolean> {
    try {
      await this.send('GET /status', undefined, CONTROL_PROBE_TIMEOUT_MS);
      return true;
    } catch {
      // A node that does not answer its status is as good as not running: commands then use the store.
      return false;
    }
  }

  private async send<K extends ControlRoute>(route: K, body: ControlBody<K> | undefined, timeoutMs: number): Promise<ControlResult<K>> {
    const [method, path] = route.split(' ') as [string, string];
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
    let data: unknown;
    try {
      data = await res.json();
    } catch (e) {
      throw new KithError('io', `the running node answered ${res.status} with something that is not JSON: ${(e as Error).message}`);
    }
    if (!res.ok) {
      const error = (data as Partial<ErrorBody>).error;
      // The node's refusal, as if the command had made it here: 'internal' means a bug there, shown as such.
      throw new KithError((error?.code as ErrorCode | undefined) ?? 'io', error?.message ?? `the running node answered ${res.status}`);
    }
    return data as ControlResult<K>;
  }
}

/** The running node of this home, or undefined when none is running. */
export async function runningNode(home: Home): Promise<ControlClient | undefined> {
  let info: ControlInfo;
  try {
    info = JSON.parse(readFileSync(home.controlFile, 'utf8')) as ControlInfo;
  } catch {
    // No control.json (or a half-written one): no node runs here.
    return undefined;
  }
  if (typeof info.pid !== 'number' || !processAlive(info.pid)) return undefined;
  const client = new ControlClient(info);
  return (await client.answers()) ? client : undefined;
}
