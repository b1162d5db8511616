import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { multiaddr } from '@multiformats/multiaddr';
import { peerIdFromString } from '@libp2p/peer-id';
import { encode as encodeVarint } from 'uint8-varint';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { Network } from '../src/node/network.js';
import { INBOX_PROTOCOL } from '../src/node/inbox-protocol.js';
import { InboxIntake } from '../src/node/inbox-intake.js';
import { generateKeyPair, sign, verify, type Ed25519KeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey, publicKeyFromDid } from '../src/core/didkey.js';
import { signDocument } from '../src/core/proof.js';
import { buildActor, buildCreate, buildNote } from '../src/core/as2.js';
import { actorId, followersId } from '../src/core/apid.js';
import { claimMessage, deliveryBytes, envelopeMessage, sealDelivery, type HeldEnvelope } from '../src/core/inbox-seal.js';
import { carriedFor } from '../src/node/inbox-carried.js';
import { parseBody } from '../src/store/objects.js';
import { isAddressedTo, recipientsOf } from '../src/core/inbox-address.js';
import { INBOX } from '../src/core/constants.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { frameStream, type FrameStream } from '../src/net/frames.js';
import type { KithHost } from '../src/net/host.js';
import { loopbackHost } from './net-helpers.js';
import { refusedWith, rejectsWith, tempDir } from './helpers.js';

/**
 * The inbox's rules against a real node on loopback, spoken to over
 * /kith/inbox/1.0.0 by a test double (a real libp2p host in this process):
 * what is taken in, what is refused with which code, and that a refusal
 * changes nothing stored.
 */

interface Person {
  readonly key: Ed25519KeyPair;
  readonly did: Did;
}

function person(): Person {
  const key = generateKeyPair();
  return { key, did: didFromPublicKey(key.publicKey) };
}

/** A signed Create of a Note by `p`, optionally replying to `inReplyTo` and mentioning `mention`. */
function note(p: Person, text: string, opts: { inReplyTo?: string; mention?: Did } = {}): JsonObject {
  const n = buildNote(p.did, {
    text,
    ...(opts.inReplyTo !== undefined ? { inReplyTo: opts.inReplyTo } : {}),
    ...(opts.mention !== undefined ? { tag: [{ type: 'Mention', href: actorId(opts.mention) }], cc: [followersId(p.did), actorId(opts.mention)] } : {}),
  });
  return signDocument(buildCreate(p.did, n), p.key);
}

const encode = (v: unknown): Uint8Array => Buffer.from(JSON.stringify(v), 'utf8');

/** One request and its answer, the stream closed after (libp2p caps the streams a peer keeps open). */
async function ask(host: KithHost, peer: string, req: unknown): Promise<any> {
  const { frames, answer } = await request(host, peer, req);
  await frames.close();
  return answer;
}

async function request(host: KithHost, peer: string, req: unknown): Promise<{ frames: FrameStream; answer: any }> {
  const frames = frameStream(await host.dialProtocol(peerIdFromString(peer), INBOX_PROTOCOL));
  await frames.writeFrame(encode(req));
  const body = await frames.readFrame(INBOX.MAX_FRAME_BYTES, 10_000);
  return { frames, answer: body === null ? null : JSON.parse(Buffer.from(body).toString('utf8')) };
}

test('core: whom an activity addresses', () => {
  const a = person();
  const c = person();
  const post = note(a, 'hello');
  const postId = (post.object as JsonObject).id as string;
  assert.deepEqual(recipientsOf(note(c, 'a reply', { inReplyTo: postId })), [a.did], 'a reply addresses the author of the post');
  assert.deepEqual(recipientsOf(note(c, 'hi', { mention: a.did })), [a.did], 'a mention addresses whom it mentions');
  assert.ok(
    isAddressedTo({ '@context': [], id: `ap://${c.did}/objects/1`, type: 'Like', actor: actorId(c.did), object: postId }, a.did),
    'a Like, its object\u2019s owner',
  );
  assert.ok(
    isAddressedTo({ '@context': [], id: `ap://${c.did}/objects/2`, type: 'Follow', actor: actorId(c.did), object: actorId(a.did) }, a.did),
    'a Follow, whom it follows',
  );
  assert.deepEqual(recipientsOf(note(c, 'just talking')), [], 'a plain post addresses nobody');
  assert.deepEqual(recipientsOf(note(c, 'self', { mention: c.did })), [], 'the author is never their own recipient');
});

test('inbox: delivered, duplicate, blocked, flood, not addressed, unsealable, wrong claim, oversize', { timeout: 60_000 }, async () => {
  const home = tempDir('kith-inbox-');
  const a = KithNode.init(home).node;
  const hosts: KithHost[] = [];
  let net: Network | undefined;
  try {
    const own = a.post({ text: 'A asks a question' });
    net = await Network.start(a, { listenHost: '127.0.0.1', mdns: false, relayListen: false });
    const addr = net.addresses()[0]!;
    const double = await loopbackHost();
    hosts.push(double);
    await double.dial(multiaddr(addr));
    const objects = (): number => a.store.objects.count();
    const service = new KithService(a);

    // A stranger's reply is taken in, indexed, and shows as a notification; the same again is a duplicate.
    const c = person();
    const reply = note(c, 'C answers A', { inReplyTo: own.noteId });
    let r = { answer: await ask(double, net.peerId, { t: 'deliver', to: a.did, activity: reply }) };
    assert.deepEqual(r.answer, { ok: true, status: 'stored' });
    r = { answer: await ask(double, net.peerId, { t: 'deliver', to: a.did, activity: reply }) };
    assert.deepEqual(r.answer, { ok: true, status: 'duplicate' });
    const listed = service.reading.notifications({ limit: 10 });
    assert.deepEqual(
      listed.items.map((i) => [i.kind, i.object.owner]),
      [['reply', c.did]],
    );

    // The filter: kept apart, not lost; someone the owner follows is never filtered.
    service.updateSettings({ filterStrangers: true });
    assert.equal(service.reading.notifications({ limit: 10 }).items.length, 0);
    assert.deepEqual(
      service.reading.notifications({ limit: 10 }, { filtered: true }).items.map((i) => [i.kind, i.filtered]),
      [['reply', true]],
    );
    a.follow(c.did);
    assert.equal(service.reading.notifications({ limit: 10 }).items.length, 1);
    assert.equal(service.reading.notifications({ limit: 10 }, { filtered: true }).items.length, 0);
    a.unfollow(c.did);
    service.updateSettings({ filterStrangers: false });

    // Each refusal answers its code and leaves the store as it was.
    const before = objects();
    const d = person();
    a.block(d.did);
    r = { answer: await ask(double, net.peerId, { t: 'deliver', to: a.did, activity: note(d, 'D, blocked, mentions A', { mention: a.did }) }) };
    assert.equal(r.answer.code, 'blocked', JSON.stringify(r.answer));
    r = { answer: await ask(double, net.peerId, { t: 'deliver', to: a.did, activity: note(c, 'C talks to nobody in particular') }) };
    assert.equal(r.answer.code, 'not-addressed', JSON.stringify(r.answer));
    r = { answer: await ask(double, net.peerId, { t: 'deliver', to: d.did, activity: note(c, 'for D', { mention: d.did }) }) };
    assert.equal(r.answer.code, 'not-found', 'a node that is not the recipient\u2019s says so');
    // A delivery carrying someone else's actor document: refused whole, the peer that carried it not blamed (wrong-key is no peer fault).
    const posing = signDocument(buildActor(d.did, { name: 'not C' }), d.key);
    r = { answer: await ask(double, net.peerId, { t: 'deliver', to: a.did, activity: note(c, 'C, carrying D', { mention: a.did }), carried: [posing] }) };
    assert.equal(r.answer.code, 'wrong-key', JSON.stringify(r.answer));
    assert.match(r.answer.message, /a delivery carries only its sender\u2019s own actor document/);
    assert.equal(objects(), before, 'nothing refused was stored');

    // A flood from one sender: up to the rate, then refused; only what was accepted is stored.
    const e = person();
    const codes: string[] = [];
    for (let i = 0; i < INBOX.PER_SENDER_PER_MINUTE + 3; i++) {
      const answer = await ask(double, net.peerId, { t: 'deliver', to: a.did, activity: note(e, `E mentions A, ${i}`, { mention: a.did }) });
      codes.push(answer.ok ? answer.status : answer.code);
    }
    assert.equal(codes.filter((x) => x === 'stored').length, INBOX.PER_SENDER_PER_MINUTE);
    assert.deepEqual(codes.slice(INBOX.PER_SENDER_PER_MINUTE), ['rate-limited', 'rate-limited', 'rate-limited']);
    assert.equal(objects(), before + INBOX.PER_SENDER_PER_MINUTE);

    // A holder (the double) offers A a delivery sealed to someone else's key: A proves it is A's node, refuses the blob, lets it go.
    const afterFlood = objects();
    const other = person();
    const sealed = await sealDelivery(
      Buffer.from(JSON.stringify(note(c, 'sealed for another', { mention: a.did }))),
      { recipient: other.did, sender: c.did, created: Date.now() },
      (m) => sign(c.key, m),
    );
    // Re-addressed to A and signed again by the sender: the envelope checks, the ciphertext does not open with A's key.
    const { sig: _drop, ...unsigned } = { ...sealed, recipient: a.did };
    const bad: HeldEnvelope = { ...unsigned, sig: Buffer.from(sign(c.key, envelopeMessage(unsigned))).toString('base64') };
    const refusalsBefore = a.store.refusals.list().find((x) => x.code === 'malformed')?.count ?? 0;
    const offer = await request(double, net.peerId, { t: 'offer', did: a.did, nonce: 'n0nce' });
    const proof = Buffer.from(offer.answer.sig as string, 'base64');
    assert.ok(
      verify(publicKeyFromDid(a.did), claimMessage(a.did, double.peerId.toString(), net.peerId, 'n0nce'), proof),
      'A signs the claim naming both peers',
    );
    await offer.frames.writeFrame(encode({ n: 7, envelope: bad }));
    await offer.frames.writeFrame(encode({ end: true, more: false }));
    const ack = JSON.parse(Buffer.from((await offer.frames.readFrame(INBOX.MAX_FRAME_BYTES, 10_000))!).toString('utf8'));
    assert.deepEqual(ack, { taken: [7] }, 'a blob that never opens is let go, not kept for ever');
    await offer.frames.writeFrame(encode({ ok: true, status: 'handed-over' }));
    assert.equal(objects(), afterFlood, 'nothing of it was stored');
    assert.equal(a.store.refusals.list().find((x) => x.code === 'malformed')?.count, refusalsBefore + 1, 'the refusal is counted');
    await rejectsWith(new InboxIntake(a).openHeld(bad as unknown as JsonObject), 'malformed', /does not open/);

    // Holding: only for a person whose scope A keeps; a claim must be signed by the person claimed for.
    const f = person();
    const hold = await sealDelivery(Buffer.from('{}'), { recipient: c.did, sender: f.did, created: Date.now() }, (m) => sign(f.key, m));
    r = { answer: await ask(double, net.peerId, { t: 'hold', envelope: hold }) };
    assert.equal(r.answer.code, 'not-found', JSON.stringify(r.answer));
    a.follow(c.did);
    r = { answer: await ask(double, net.peerId, { t: 'hold', envelope: hold }) };
    assert.deepEqual(r.answer, { ok: true, status: 'held' });
    r = { answer: await ask(double, net.peerId, { t: 'hold', envelope: hold }) };
    assert.deepEqual(r.answer, { ok: true, status: 'duplicate' });
    refusedWith(() => new InboxIntake(a).hold({ ...hold, created: hold.created + 1 } as unknown as JsonObject), 'bad-signature');
    const claim = await request(double, net.peerId, { t: 'claim', did: c.did });
    const forged = Buffer.from(sign(f.key, claimMessage(c.did, net.peerId, double.peerId.toString(), claim.answer.nonce as string))).toString('base64');
    await claim.frames.writeFrame(encode({ sig: forged }));
    const denied = JSON.parse(Buffer.from((await claim.frames.readFrame(INBOX.MAX_FRAME_BYTES, 10_000))!).toString('utf8'));
    assert.equal(denied.code, 'unauthenticated');
    assert.equal(a.store.held.countFor(c.did), 1, 'still held');

    // An oversize frame: refused with its code before its body is read, and the peer is cut off.
    const big = frameStream(await double.dialProtocol(peerIdFromString(net.peerId), INBOX_PROTOCOL));
    big.stream.send(encodeVarint(INBOX.MAX_FRAME_BYTES + 1));
    big.stream.send(new Uint8Array(1024));
    const tooLarge = JSON.parse(Buffer.from((await big.readFrame(INBOX.MAX_FRAME_BYTES, 10_000))!).toString('utf8'));
    assert.equal(tooLarge.code, 'too-large');
    assert.equal(objects(), afterFlood);
  } finally {
    await net?.stop();
    await Promise.all(hosts.map((h) => h.stop()));
    a.close();
    rmSync(home, { recursive: true, force: true });
  }
});

test('service: a delivery waits in the queue while no network runs, and survives a restart', () => {
  const home = tempDir('kith-outq-');
  try {
    const c = new KithService(KithNode.init(home).node);
    const a = person();
    const post = note(a, 'A posts');
    c.node.ingest(post);
    const r = c.node.post({ text: 'C replies', inReplyTo: (post.object as JsonObject).id as string });
    c.inbox.deliverLater(r.digest);
    assert.deepEqual(
      c.inbox.status().waiting.map((w) => w.recipient),
      [a.did],
    );
    c.close();
    const again = KithService.open(home);
    assert.deepEqual(
      again.inbox.status().waiting.map((w) => [w.recipient, w.digest]),
      [[a.did, r.digest]],
    );
    again.close();
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
});

test('carried documents: a stranger\u2019s reply signed by a device key is taken in with its chain and names its sender; another\u2019s documents are refused', async () => {
  const homes = [tempDir('kith-carry-a-'), tempDir('kith-carry-c-'), tempDir('kith-carry-b-'), tempDir('kith-carry-d-')];
  const [a, c, b, d] = homes.map((h, i) => KithNode.init(h, { profile: { name: ['Ay', 'Cee from afar', 'Bee', 'Dee'][i]! } }).node) as [
    KithNode,
    KithNode,
    KithNode,
    KithNode,
  ];
  try {
    const question = a.post({ text: 'A asks' });
    // C signs its reply with one of its devices' keys, which C certified; C's own node holds the certificate.
    const device = generateKeyPair();
    const cert = c.certifyDevice(didFromPublicKey(device.publicKey), Date.now() + 86_400_000);
    const reply = signDocument(buildCreate(c.did, buildNote(c.did, { text: 'C answers from a phone', inReplyTo: question.noteId })), device);
    const sent = c.ingest(reply);
    const carried = carriedFor(c, sent.digest);
    assert.deepEqual(
      carried.map((x) => [x.type, x.id]),
      [
        ['KithCertificate', cert.id],
        ['Person', actorId(c.did)],
      ],
      'the chain of the signing key, then the sender\u2019s actor',
    );

    const intake = new InboxIntake(a);
    const stored = (): number => a.store.objects.count();
    const before = stored();
    refusedWith(() => intake.receive(reply), 'wrong-key', /holds no certificate/);
    // Someone else's actor, or a certificate of someone else's key: the whole delivery is refused, nothing of it stored.
    const bActor = parseBody(b.store.objects.byId(actorId(b.did))!);
    refusedWith(() => intake.receive(reply, { carried: [carried[0]!, bActor] }), 'wrong-key', /carries .*\/actor: a delivery carries only its sender/);
    const other = b.certifyDevice(didFromPublicKey(generateKeyPair().publicKey), Date.now() + 86_400_000);
    refusedWith(() => intake.receive(reply, { carried: [other.doc as JsonObject, ...carried] }), 'wrong-key', /no link from/);
    assert.equal(stored(), before, 'nothing refused was stored');
    assert.equal(a.store.authority.hasCertificate(cert.digest), false);
    assert.equal(a.store.objects.byId(actorId(c.did)), undefined);

    // With its own chain and actor: taken in, and the notification names C as C named themselves.
    assert.equal(intake.receive(reply, { carried }).status, 'stored');
    assert.equal(stored(), before + 3);
    const service = new KithService(a);
    assert.deepEqual(
      service.reading.notifications({ limit: 10 }).items.map((i) => [i.kind, i.by.did, i.by.name]),
      [['reply', c.did, 'Cee from afar']],
    );

    // Sealed and held for D while D's node is away: what it carries travels sealed with it.
    const dPost = d.post({ text: 'D asks too' });
    const toD = signDocument(buildCreate(c.did, buildNote(c.did, { text: 'C answers D', inReplyTo: dPost.noteId })), device);
    const sentToD = c.ingest(toD);
    const body = c.store.objects.byDigest(sentToD.digest)!.body;
    const envelope = await sealDelivery(deliveryBytes(body, carriedFor(c, sentToD.digest)), { recipient: d.did, sender: c.did, created: Date.now() }, (m) =>
      c.signBytes(m),
    );
    assert.equal((await new InboxIntake(d).openHeld(envelope as unknown as JsonObject)).status, 'stored');
    assert.deepEqual(
      new KithService(d).reading.notifications({ limit: 10 }).items.map((i) => [i.kind, i.by.name]),
      [['reply', 'Cee from afar']],
    );
  } finally {
    for (const n of [a, c, b, d]) n.close();
    for (const h of homes) rmSync(h, { recursive: true, force: true });
  }
});
