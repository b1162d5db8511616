import { Agent, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { reasonOf, type Logger } from '../core/log.js';
import { errorBody } from './http-status.js';
import { FRONT_CLIENT_HEADER, FRONT_SECRET_HEADER } from './front-messages.js';

/**
 * Relays one request from the front thread to the owner API on the main
 * thread, over loopback, streaming both ways (uploads, live event streams).
 * Hop-by-hop headers stay behind; the client's address travels in a header
 * that counts only with the shared secret, which no client can send: the
 * front writes both headers over whatever the client sent.
 */

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'upgrade', 'te', 'trailer']);

function forwardable(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k) && v !== undefined) out[k] = v;
  return out;
}

export class FrontRelay {
  // Kept-alive connections: a relayed request costs no new TCP handshake.
  private readonly agent = new Agent({ keepAlive: true });

  constructor(
    private readonly port: number,
    private readonly secret: string,
    private readonly log: Logger,
  ) {}

  relay(req: IncomingMessage, res: ServerResponse): void {
    const headers = forwardable(req.headers);
    headers[FRONT_SECRET_HEADER] = this.secret;
    headers[FRONT_CLIENT_HEADER] = req.socket.remoteAddress ?? 'unknown';
    const out = request({ host: '127.0.0.1', port: this.port, method: req.method, path: req.url, headers, agent: this.agent }, (back) => {
      const answer = forwardable(back.headers);
      delete answer['transfer-encoding'];
      res.writeHead(back.statusCode ?? 502, answer);
      // pipe writes each chunk as it comes (a live event stream is one long answer) and waits when the client is slow.
      back.pipe(res);
      back.on('error', (e) => {
        this.log.debug(`a relayed answer broke off: ${reasonOf(e)}`);
        res.destroy();
      });
    });
    out.on('error', (e) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      this.log.warn(`the owner API did not answer a relayed request: ${reasonOf(e)}`);
      res.writeHead(502, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify(errorBody('io', 'the node did not answer; it may be stopping or restarting')));
    });
    // The client gone (a closed tab, a dropped stream) ends the relayed request too.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  }

  close(): void {
    this.agent.destroy();
  }
}
