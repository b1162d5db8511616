import { Worker } from 'node:worker_threads';
import { API_FRONT_RESTART_MS } from '../core/constants.js';
import { KithError } from '../core/errors.js';
import { reasonOf } from '../core/log.js';
import type { KithService } from '../node/service.js';
import type { FrontMessage, FrontOptions } from './front-messages.js';

/**
 * The main thread's side of the API's front (./api-front.ts): starts the
 * worker, writes what it reports (a device seen, a log line), and starts it
 * again on the same port if it ever fails.
 */
export class FrontThread {
  private worker: Worker | undefined;
  private closing = false;

  private constructor(
    private readonly service: KithService,
    private opts: FrontOptions,
  ) {}

  /** Starts the front; resolves once it listens, with the port it got. */
  static async start(service: KithService, opts: FrontOptions): Promise<{ front: FrontThread; port: number }> {
    const front = new FrontThread(service, opts);
    const port = await front.spawn();
    // A restart takes the same port, so links the owner's devices hold keep working.
    front.opts = { ...opts, port };
    return { front, port };
  }

  private spawn(): Promise<number> {
    const worker = new Worker(new URL('./api-front.js', import.meta.url), { workerData: this.opts });
    this.worker = worker;
    return new Promise<number>((resolve, reject) => {
      let up = false;
      worker.on('message', (m: FrontMessage) => {
        if (m.type === 'listening') {
          up = true;
          resolve(m.port);
        } else if (m.type === 'failed') {
          const { host, port } = this.opts;
          reject(
            new KithError(
              'io',
              m.code === 'EADDRINUSE'
                ? `port ${port} on ${host} is already in use; choose another with --api-port`
                : `cannot serve the web app on ${host}:${port}: ${m.message}`,
            ),
          );
          void worker.terminate();
        } else if (m.type === 'seen') this.service.devices.seenById(m.device);
        else this.service.log[m.level](m.line);
      });
      worker.on('error', (e) => {
        this.service.log.error(`the API's front thread failed: ${e.stack ?? e.message}`);
        if (!up) reject(new KithError('io', `cannot start the web app and owner API: ${e.message}`));
      });
      worker.on('exit', (code) => {
        if (this.closing || !up || this.worker !== worker) return;
        this.service.log.warn(`the API's front thread stopped (exit code ${code}); starting it again`);
        setTimeout(() => {
          if (this.closing) return;
          this.spawn().catch((e: unknown) => this.service.log.error(`the API's front thread did not start again: ${reasonOf(e)}`));
        }, API_FRONT_RESTART_MS).unref();
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    await exited;
  }
}
