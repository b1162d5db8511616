import { fail } from '../core/errors.js';
import type { Digest } from '../core/types.js';
import type { Network } from './network.js';

/**
 * The running network as the application service sees it: absent while the
 * node starts (and in commands that work on the store alone), attached once
 * it is up. Operations that only need to tell peers do so when it is there;
 * those that cannot work without it say so.
 */
export class NetworkLink {
  private network: Network | undefined;

  attach(network: Network): void {
    this.network = network;
  }

  get current(): Network | undefined {
    return this.network;
  }

  /** The network, or a refusal naming what needs it. */
  need(what: string): Network {
    if (!this.network) fail('conflict', `${what} needs the node running with its network (start it with: kith start)`);
    return this.network;
  }

  /** Pushes a stored object to followers live; without a network it waits for the next sync. Returns how many peers took it. */
  async push(digest: Digest): Promise<number> {
    return this.network ? this.network.push(digest) : 0;
  }
}
