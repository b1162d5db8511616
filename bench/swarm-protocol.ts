/**
 * What the swarm bench (bench/swarm.ts) and its node processes
 * (bench/swarm-worker.ts) say to each other over IPC, and the one clock
 * both read. Kept apart from the worker so that importing these does not
 * run a worker in the bench's own process.
 */

/** The time on the machine's clock, to the microsecond, comparable between processes. */
export const clock = (): number => performance.timeOrigin + performance.now();

export interface WorkerNet {
  readonly mdns: boolean;
  readonly relay: boolean;
}

export type WorkerRequest =
  | { readonly op: 'start'; readonly node: number; readonly home: string; readonly port: number; readonly net: WorkerNet }
  | { readonly op: 'stop'; readonly node: number }
  | { readonly op: 'follow'; readonly node: number; readonly target: string }
  | { readonly op: 'post'; readonly node: number; readonly text: string }
  | { readonly op: 'holds'; readonly node: number; readonly ids: readonly string[] }
  | { readonly op: 'peers'; readonly node: number }
  /** This process's event-loop delay since the last ask (p99 and max, ms), then a fresh count. */
  | { readonly op: 'lag'; readonly node: number };

export type WorkerMessage =
  | { readonly kind: 'reply'; readonly seq: number; readonly ok: true; readonly value: unknown }
  | { readonly kind: 'reply'; readonly seq: number; readonly ok: false; readonly error: string }
  | { readonly kind: 'stored'; readonly node: number; readonly id: string; readonly at: number }
  /** The post came by live push (reconciliation brought the others). */
  | { readonly kind: 'live'; readonly node: number; readonly id: string };

export interface Started {
  readonly did: string;
  readonly address: string;
  readonly port: number;
}

export interface Posted {
  readonly id: string;
  /** When post was called and when it returned (signed, stored, pushed). */
  readonly calledAt: number;
  readonly returnedAt: number;
  readonly pushedTo: number;
}
