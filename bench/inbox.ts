/**
 * npm run bench -- inbox [--per-sender N] [--rounds N] [--json]
 *
 * Inbox delivery on one node:
 * - deliveries accepted per second over /kith/inbox/1.0.0 from 100 senders
 *   (keys made here, each a mention of the node's owner, sent by four peers
 *   with 16 requests in flight; a stream each, as the outgoing queue sends
 *   them, and then on streams kept open), beside the same node's raw ingest
 *   rate (the same kind of object, one per commit, as a delivery is) in the same run;
 * - how long a held delivery takes to reach its recipient once the
 *   recipient's node starts again: from the start of its network, and from
 *   its first connection to the holder.
 */
import '../src/cli/polyfills.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPair as generatePeerKey } from '@libp2p/crypto/keys';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { generateKeyPair, sign, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildCreate, buildNote } from '../src/core/as2.js';
import { actorId, followersId } from '../src/core/apid.js';
import { sealDelivery } from '../src/core/inbox-seal.js';
import { INBOX } from '../src/core/constants.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { createHost, type KithHost } from '../src/net/host.js';
import { frameStream, type FrameStream } from '../src/net/frames.js';
import { KithNode } from '../src/node/kith-node.js';
import { Network } from '../src/node/network.js';
import { INBOX_PROTOCOL } from '../src/node/inbox-protocol.js';
import { argValue, progressLine } from './bounds.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const SENDERS = 100;
const SENDING_PEERS = 4;
const IN_FLIGHT = 16;
const perSender = argValue(args, '--per-sender', 20);
const rounds = argValue(args, '--rounds', 3);
if (2 * perSender > INBOX.PER_SENDER_PER_MINUTE)
  throw new Error(`--per-sender is at most ${INBOX.PER_SENDER_PER_MINUTE / 2} (two runs within the per-sender rate)`);
const progress = progressLine(json);
const netOpts = { listenHost: '127.0.0.1', mdns: false, relayListen: false } as const;
const dirs: string[] = [];
const tmp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'kith-bench-inbox-'));
  dirs.push(d);
  return d;
};

interface Sender {
  readonly key: Ed25519KeyPair;
  readonly did: Did;
}

function mention(s: Sender, owner: Did, text: string): JsonObject {
  const note = buildNote(s.did, { text, tag: [{ type: 'Mention', href: actorId(owner) }], cc: [followersId(s.did), actorId(owner)] });
  return signDocument(buildCreate(s.did, note), s.key);
}

async function loopbackPeer(): Promise<KithHost> {
  return createHost({ privateKey: await generatePeerKey('Ed25519'), listenHost: '127.0.0.1', tcpPort: 0, mdns: false, relayListen: false });
}

type Answer = { ok: boolean; status?: string; code?: string; message?: string };

/** One stream to a node, for requests one after another (the inbox answers up to REQUESTS_PER_STREAM on one). */
async function openStream(host: KithHost, peer: string): Promise<FrameStream> {
  return frameStream(await host.dialProtocol(peerIdFromString(peer), INBOX_PROTOCOL));
}

async function ask(frames: FrameStream, req: unknown): Promise<Answer> {
  await frames.writeFrame(Buffer.from(JSON.stringify(req), 'utf8'));
  const body = await frames.readFrame(INBOX.MAX_FRAME_BYTES, 30_000);
  if (body === null) throw new Error('the node closed the stream without an answer');
  return JSON.parse(Buffer.from(body).toString('utf8')) as Answer;
}

/** One request on a stream of its own. */
async function request(host: KithHost, peer: string, req: unknown): Promise<Answer> {
  const frames = await openStream(host, peer);
  const a = await ask(frames, req);
  await frames.close();
  return a;
}

const hosts: KithHost[] = [];
const nets: Network[] = [];
const nodes: KithNode[] = [];
try {
  // ---- deliveries per second, and raw ingest on the same node ----
  const owner = KithNode.init(tmp()).node;
  nodes.push(owner);
  const senders: Sender[] = Array.from({ length: SENDERS }, () => {
    const key = generateKeyPair();
    return { key, did: didFromPublicKey(key.publicKey) };
  });
  const total = SENDERS * perSender;
  progress(`signing ${2 * total} deliveries and ${total} objects for raw ingest`);
  const oneEach: JsonObject[] = [];
  const onOpen: JsonObject[] = [];
  const raw: string[] = [];
  for (let i = 0; i < perSender; i++) {
    for (const s of senders) {
      oneEach.push(mention(s, owner.did, `delivery ${i}: a short mention of typical length for a notification`));
      onOpen.push(mention(s, owner.did, `delivered on an open stream ${i}: a short mention of typical length`));
      raw.push(JSON.stringify(mention(s, owner.did, `ingested ${i}: a short mention of typical length for a notification`)));
    }
  }
  const net = await Network.start(owner, netOpts);
  nets.push(net);
  const peers = await Promise.all(Array.from({ length: SENDING_PEERS }, loopbackPeer));
  hosts.push(...peers);
  for (const p of peers) await p.dial(multiaddr(net.addresses()[0]!));

  /** Sends every delivery, IN_FLIGHT at once; on a stream each (as the outgoing queue does) or on streams kept open. */
  const deliverAll = async (deliveries: readonly JsonObject[], reuse: boolean): Promise<number> => {
    let next = 0;
    let refused = 0;
    let firstRefusal = '';
    const worker = async (w: number): Promise<void> => {
      const host = peers[w % SENDING_PEERS]!;
      let frames: FrameStream | undefined;
      let used = 0;
      for (let i = next++; i < deliveries.length; i = next++) {
        const req = { t: 'deliver', to: owner.did, activity: deliveries[i] };
        let a: Answer;
        if (reuse) {
          if (frames === undefined || used === INBOX.REQUESTS_PER_STREAM) {
            await frames?.close();
            frames = await openStream(host, net.peerId);
            used = 0;
          }
          used++;
          a = await ask(frames, req);
        } else a = await request(host, net.peerId, req);
        if (!a.ok || a.status !== 'stored') {
          refused++;
          firstRefusal ||= `${a.code}: ${a.message}`;
        }
        if (i % 200 === 0) progress(`delivered ${i}/${deliveries.length}${reuse ? ' on open streams' : ''}`);
      }
      await frames?.close();
    };
    const t = performance.now();
    await Promise.all(Array.from({ length: IN_FLIGHT }, (_, w) => worker(w)));
    if (refused > 0) throw new Error(`${refused} deliveries were not stored (first: ${firstRefusal})`);
    return performance.now() - t;
  };
  const oneEachMs = await deliverAll(oneEach, false);
  const onOpenMs = await deliverAll(onOpen, true);

  const t0 = performance.now();
  for (let i = 0; i < raw.length; i++) {
    owner.ingest(raw[i]!);
    if (i % 500 === 0) progress(`raw ingest ${i}/${raw.length}`);
  }
  const ingestMs = performance.now() - t0;

  // ---- a held delivery: from the recipient's start to its arrival ----
  const arrivals: { fromStartMs: number; fromContactMs: number }[] = [];
  const holder = KithNode.init(tmp()).node;
  nodes.push(holder);
  const holderNet = await Network.start(holder, netOpts);
  nets.push(holderNet);
  const sender = senders[0]!;
  const sendingPeer = peers[0]!;
  await sendingPeer.dial(multiaddr(holderNet.addresses()[0]!));
  for (let r = 0; r < rounds; r++) {
    progress(`held delivery, round ${r + 1}/${rounds}`);
    const recipient = KithNode.init(tmp()).node;
    nodes.push(recipient);
    holder.follow(recipient.did);
    const activity = mention(sender, recipient.did, `held for round ${r}`);
    const envelope = await sealDelivery(
      Buffer.from(JSON.stringify(activity), 'utf8'),
      { recipient: recipient.did, sender: sender.did, created: Date.now() },
      (m) => sign(sender.key, m),
    );
    const held = await request(sendingPeer, holderNet.peerId, { t: 'hold', envelope });
    if (held.status !== 'held') throw new Error(`the holder did not hold it: ${held.code}: ${held.message}`);
    const id = String(activity.id);
    let contact = 0;
    // The holder sees the recipient's node connect (the recipient's own host exists only once its start has begun).
    const onContact = (): void => void (contact ||= performance.now());
    holderNet.host.addEventListener('peer:connect', onContact);
    const arrived = new Promise<number>((resolve) => {
      recipient.ingestor.onStored((records) => {
        if (records.some((x) => x.id === id)) resolve(performance.now());
      });
    });
    const start = performance.now();
    const rnet = await Network.start(recipient, { ...netOpts, bootstrap: [holderNet.addresses()[0]!] });
    nets.push(rnet);
    const at = await Promise.race([
      arrived,
      new Promise<number>((_, reject) => setTimeout(() => reject(new Error('the held delivery did not arrive in 60 s')), 60_000)),
    ]);
    holderNet.host.removeEventListener('peer:connect', onContact);
    if (contact === 0) throw new Error('the holder never saw the recipient connect');
    arrivals.push({ fromStartMs: at - start, fromContactMs: at - contact });
    // The hand-over ends with the holder dropping it; stopping before that would cut the last frames.
    for (const until = Date.now() + 30_000; holder.store.held.countFor(recipient.did) > 0 && Date.now() < until;) await new Promise((r) => setTimeout(r, 20));
    await rnet.stop();
    nets.splice(nets.indexOf(rnet), 1);
  }
  progress('');

  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result = {
    senders: SENDERS,
    deliveries: total,
    deliveriesPerSec: Math.round((total / oneEachMs) * 1000),
    deliveriesOnOpenStreamsPerSec: Math.round((total / onOpenMs) * 1000),
    rawIngestPerSec: Math.round((raw.length / ingestMs) * 1000),
    heldArrivalFromStartMs: Math.round(median(arrivals.map((a) => a.fromStartMs))),
    heldArrivalFromContactMs: Math.round(median(arrivals.map((a) => a.fromContactMs))),
    rounds,
  };
  if (json) {
    console.log(
      JSON.stringify({
        ...result,
        deliveriesOfRawIngest: result.deliveriesPerSec / result.rawIngestPerSec,
        onOpenStreamsOfRawIngest: result.deliveriesOnOpenStreamsPerSec / result.rawIngestPerSec,
      }),
    );
  } else {
    console.log(`inbox benchmark: ${total} deliveries from ${SENDERS} senders over ${SENDING_PEERS} peers, ${IN_FLIGHT} in flight`);
    const pct = (x: number): string => `${((x / result.rawIngestPerSec) * 100).toFixed(0)}% of raw ingest`;
    console.log(`  deliveries accepted, a stream each      ${String(result.deliveriesPerSec).padStart(7)} /s   ${pct(result.deliveriesPerSec)}`);
    console.log(
      `  deliveries accepted, on open streams    ${String(result.deliveriesOnOpenStreamsPerSec).padStart(7)} /s   ${pct(result.deliveriesOnOpenStreamsPerSec)}`,
    );
    console.log(`  raw ingest, one per commit              ${String(result.rawIngestPerSec).padStart(7)} /s   (the same node, the same kind of object)`);
    console.log(`  held delivery reaches its recipient (median of ${rounds}):`);
    console.log(`    from the start of its network   ${String(result.heldArrivalFromStartMs).padStart(6)} ms`);
    console.log(`    from its first connection      ${String(result.heldArrivalFromContactMs).padStart(6)} ms`);
  }
} finally {
  await Promise.all(nets.map((n) => n.stop()));
  await Promise.all(hosts.map((h) => h.stop()));
  for (const n of nodes) n.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
