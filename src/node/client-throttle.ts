/**
 * Attempts counted per client address over a sliding window, so one client
 * that keeps trying (wrong pairing codes, login requests) is slowed down
 * without locking out anyone else. Memory is bounded twice: each address
 * keeps at most `limit` times, and at most `maxClients` addresses are kept
 * (the least recently seen are forgotten first).
 */
export class ClientThrottle {
  private readonly times = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly maxClients: number,
  ) {}

  /** Attempts this client has left in the window now. */
  left(client: string, now: number): number {
    return this.limit - this.recent(client, now).length;
  }

  /** Counts one attempt if the client has any left; false (and nothing counted) when it has none. */
  take(client: string, now: number): boolean {
    const recent = this.recent(client, now);
    if (recent.length >= this.limit) return false;
    recent.push(now);
    // Re-inserted, so the map's order is least recently seen first.
    this.times.delete(client);
    this.times.set(client, recent);
    while (this.times.size > this.maxClients) this.times.delete(this.times.keys().next().value!);
    return true;
  }

  get size(): number {
    return this.times.size;
  }

  private recent(client: string, now: number): number[] {
    const all = this.times.get(client);
    if (!all) return [];
    const kept = all.filter((t) => now - t < this.windowMs);
    if (kept.length === 0) this.times.delete(client);
    else this.times.set(client, kept);
    return kept;
  }
}
