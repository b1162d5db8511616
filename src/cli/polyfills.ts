/**
 * Gaps between Node 20 and what libp2p 3 expects. Newer Node (as under Termux)
 * has these built in, and then the first two do nothing. Import this module
 * before anything that loads libp2p.
 */
import { WebSocket as WsWebSocket } from 'ws';

// libp2p 3 calls Promise.withResolvers, which Node 20 lacks.
type Resolvers<T> = { promise: Promise<T>; resolve: (v: T | PromiseLike<T>) => void; reject: (e?: unknown) => void };
const P = Promise as unknown as { withResolvers?: <T>() => Resolvers<T> };
if (typeof P.withResolvers !== 'function') {
  P.withResolvers = function withResolvers<T>(): Resolvers<T> {
    let resolve!: Resolvers<T>['resolve'];
    let reject!: Resolvers<T>['reject'];
    const promise = new Promise<T>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    return { promise, resolve, reject };
  };
}

// @libp2p/websockets dials with the global WebSocket, which Node 20 has only
// behind --experimental-websocket. The `ws` client speaks the same browser-style
// API (addEventListener, binaryType 'arraybuffer', bufferedAmount).
const G = globalThis as unknown as { WebSocket?: unknown };
if (typeof G.WebSocket !== 'function') G.WebSocket = WsWebSocket;

// @libp2p/websockets resets a connection with close(1006). 1006 may never be
// sent on the wire, so `ws` throws instead of closing, libp2p swallows the
// throw, and the socket stays open: a peer we hang up on keeps its TCP
// connection, and a process that aborted one never exits. "Abnormal closure"
// means dropping the socket, which is what terminate() does. This covers both
// ends, since the listener wraps `ws` sockets too.
const wsProto = WsWebSocket.prototype as unknown as {
  close(code?: number, data?: string | Buffer): void;
  terminate(): void;
  __kithClose1006?: true;
};
if (wsProto.__kithClose1006 !== true) {
  const originalClose = wsProto.close;
  wsProto.close = function close(this: typeof wsProto, code?: number, data?: string | Buffer): void {
    if (code === 1006) {
      this.terminate();
      return;
    }
    originalClose.call(this, code, data);
  };
  wsProto.__kithClose1006 = true;
}

export {};
