import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { backoffDelay } from '../src/core/backoff.js';
import type { KithHost } from '../src/net/host.js';
import { loopbackHost } from './net-helpers.js';
import { waitFor } from './helpers.js';
import { multiaddr } from '@multiformats/multiaddr';

// Real libp2p hosts on loopback; the relay finder's waits are shortened so a test need not sit through minutes.
const FAST = { firstSearchMs: 100, minSearchMs: 200, maxSearchMs: 1_000 };

function tcpAddr(host: KithHost): string {
  const a = host.getMultiaddrs().find((m) => !m.toString().includes('/ws') && !m.toString().includes('/p2p-circuit'));
  assert.ok(a, 'host has a TCP address');
  return a.toString();
}

const circuitOf = (host: KithHost): string | undefined =>
  host
    .getMultiaddrs()
    .map(String)
    .find((m) => m.includes('/p2p-circuit'));

test('backoff: the least wait first, doubling with each failure, never past the most', () => {
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => backoffDelay(n, 60_000, 3_600_000)),
    [60_000, 60_000, 120_000, 240_000, 480_000, 960_000, 1_920_000, 3_600_000, 3_600_000],
  );
  assert.equal(backoffDelay(10_000, 1, 5), 5, 'no overflow after many failures');
  assert.throws(() => backoffDelay(1, 0, 10), RangeError);
  assert.throws(() => backoffDelay(1, 10, 5), RangeError);
});

test('relay finder: a node behind NAT finds a public relay through the DHT and reserves a slot on it', async () => {
  const hosts: KithHost[] = [];
  try {
    const relay = await loopbackHost({ publicRelay: true, relaySearch: FAST });
    hosts.push(relay);
    // A plain node: no relay service, knows the relay and holds its DHT record.
    const plain = await loopbackHost({ bootstrap: [tcpAddr(relay)], relaySearch: FAST });
    hosts.push(plain);
    await waitFor('the relay to announce itself', () => relay.services.relayFinder.stats().announcements > 0);

    // The hidden node knows only the plain node: the relay must come from the DHT.
    const hidden = await loopbackHost({ relayListen: true, bootstrap: [tcpAddr(plain)], relaySearch: FAST });
    hosts.push(hidden);
    await waitFor('a reservation on the relay', () => circuitOf(hidden) !== undefined, 30_000);
    assert.ok(circuitOf(hidden)!.includes(relay.peerId.toString()), `reserved on the relay: ${circuitOf(hidden)}`);
    assert.deepEqual(hidden.services.relayFinder.stats().relays, [relay.peerId.toString()]);
    assert.ok(hidden.services.relayFinder.stats().searches >= 1, 'found by searching, not by chance');
    assert.equal(plain.services.relayFinder.stats().relays.length, 0, 'the plain node has no relay search when it was not asked to reserve');

    // Anyone can now reach the hidden node through the relay.
    const stranger = await loopbackHost();
    hosts.push(stranger);
    const conn = await stranger.dial(multiaddr(circuitOf(hidden)!));
    assert.ok(conn.remotePeer.equals(hidden.peerId));
  } finally {
    await Promise.all(hosts.map((h) => h.stop()));
  }
});

test('relay finder: with no relay anywhere, the node searches on a schedule and advertises no circuit address', async () => {
  const hosts: KithHost[] = [];
  try {
    const a = await loopbackHost();
    hosts.push(a);
    const hidden = await loopbackHost({ relayListen: true, bootstrap: [tcpAddr(a)], relaySearch: { firstSearchMs: 50, minSearchMs: 400, maxSearchMs: 400 } });
    hosts.push(hidden);
    await waitFor('two searches that found nothing', () => hidden.services.relayFinder.stats().searches >= 2);
    assert.equal(hidden.services.relayFinder.stats().relays.length, 0);
    assert.equal(circuitOf(hidden), undefined, 'no relay, no circuit address');
  } finally {
    await Promise.all(hosts.map((h) => h.stop()));
  }
});
