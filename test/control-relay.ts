import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ControlClient } from '../src/cli/control-client.js';
import type { ControlInfo } from '../src/api/control.js';
import type { ControlRoute } from '../src/api/control-routes.js';

/**
 * Calls the control endpoints of running nodes, as `kith` does, from inside
 * a network namespace whose loopback they listen on: started once per
 * namespace (`ip netns exec <ns> node control-relay.js`), it takes one call
 * per line on stdin, {"id", "home", "route", "body"}, and answers each on
 * stdout with {"id", "result"} or {"id", "error": {"code", "message"}}.
 * It saves a test the start of a whole `kith` process for every call.
 */

interface Call {
  readonly id: number;
  readonly home: string;
  readonly route: ControlRoute;
  readonly body?: unknown;
}

createInterface({ input: process.stdin }).on('line', (line) => {
  const call = JSON.parse(line) as Call;
  const answer = async (): Promise<unknown> => {
    const info = JSON.parse(readFileSync(join(call.home, 'control.json'), 'utf8')) as ControlInfo;
    const client = new ControlClient(info) as unknown as { call(route: ControlRoute, body?: unknown): Promise<unknown> };
    return client.call(call.route, call.body);
  };
  answer().then(
    (result) => process.stdout.write(JSON.stringify({ id: call.id, result }) + '\n'),
    (e: unknown) => {
      const err = e as { code?: string; message?: string };
      process.stdout.write(JSON.stringify({ id: call.id, error: { code: err.code ?? 'internal', message: err.message ?? String(e) } }) + '\n');
    },
  );
});
