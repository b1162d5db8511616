import '../src/cli/polyfills.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildConversationKeyObject, CONVERSATION_KEY_TYPE, DIRECT_MESSAGE_TYPE } from '../src/core/direct-messages.js';
import { deliveryBytes, sealDelivery } from '../src/core/inbox-seal.js';
import type { Did, Digest, JsonObject } from '../src/core/types.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { InboxIntake } from '../src/node/inbox-intake.js';
import { carriedFor } from '../src/node/inbox-carried.js';
import { filesUnder, rejectsWith, tempDir } from './helpers.js';

/**
 * Direct messages on real stores with no network: each delivery queued by a
 * sender is handed to the recipient's intake by hand, as the inbox protocol
 * (or a holder's hand-over) would.
 */

function person(): KithService {
  return new KithService(KithNode.init(tempDir('kith-dm-')).node);
}

interface Queued {
  readonly body: string;
  readonly digest: string;
  readonly type: string;
}

/** What `from` queued for `to`, taken off the queue. */
function queuedFor(from: KithService, to: KithService): Queued[] {
  const rows = from.node.store.outgoing.list().filter((r) => r.recipient === to.node.did);
  from.node.store.db.prepare('DELETE FROM outgoing_deliveries WHERE recipient = ?').run(to.node.did);
  return rows.map((r) => ({ body: r.body, digest: r.digest, type: String((JSON.parse(r.body) as JsonObject).type) }));
}

/** Hands every delivery queued from `from` to `to` over to `to`'s intake. */
async function deliver(from: KithService, to: KithService): Promise<number> {
  const rows = queuedFor(from, to);
  const intake = new InboxIntake(to.node);
  for (const r of rows) await intake.take(r.body, { carried: carriedFor(from.node, r.digest as Digest) });
  return rows.length;
}

/** Everything stored of direct messages: the three tables and the key files. */
function dmState(s: KithService): string {
  const db = s.node.store.db;
  const tables = ['dm_conversations', 'dm_generations', 'dm_messages'].map((t) => JSON.stringify(db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()));
  const dir = join(s.node.home.root, 'dm');
  return JSON.stringify([tables, readdirSync(dir).sort()]);
}

function texts(s: KithService, conversation: string): string[] {
  return s.dms.read(conversation).messages.map((m) => m.content);
}

/** A signed copy of a document of `by`'s with `change` applied (its old proof dropped). */
function resigned(by: KithService, doc: JsonObject, change: (d: JsonObject) => void): JsonObject {
  const copy = JSON.parse(JSON.stringify(doc)) as JsonObject;
  delete copy.proof;
  change(copy);
  return by.node.sign(copy);
}

function flipped(b64: string): string {
  const bytes = Buffer.from(b64, 'base64');
  bytes[bytes.length - 1]! ^= 0x01;
  return bytes.toString('base64');
}

test('a DM among A, B and D: each reads it and the threaded reply; C and a holder cannot; D removed reads nothing after', async () => {
  const [a, b, c, d, r] = [person(), person(), person(), person(), person()];
  try {
    const hello = 'DM-SECRET: tea at four?';
    const sent = await a.dms.start([b.node.did, d.node.did], hello);
    const conv = sent.message.conversation;
    assert.equal(sent.deliveries.length, 2, 'queued for B and D');
    assert.ok(sent.deliveries.every((x) => x.status === 'queued'));
    // Nothing of it is in A's scope: no sync carries it to A's followers or hosts.
    const scopeTypes = [...a.node.store.objects.byOwner(a.node.did)].map((o) => o.type);
    assert.ok(!scopeTypes.includes(CONVERSATION_KEY_TYPE) && !scopeTypes.includes(DIRECT_MESSAGE_TYPE), `A's scope holds ${scopeTypes.join(', ')}`);

    // R keeps a sealed copy for B, as a holder does while B's node is away; then the hand-over to B.
    const forB = queuedFor(a, b);
    assert.deepEqual(
      forB.map((q) => q.type),
      [CONVERSATION_KEY_TYPE, DIRECT_MESSAGE_TYPE],
      'the key goes before the message',
    );
    for (const q of forB) assert.equal(q.body.indexOf('tea at four'), -1, 'a delivery holds no plaintext');
    await r.people.follow(b.node.did); // a holder keeps the scope of those it holds for
    const envelopes = [];
    for (const q of forB) {
      const e = await sealDelivery(deliveryBytes(q.body, []), { recipient: b.node.did, sender: a.node.did, created: Date.now() }, (m) => a.node.signBytes(m));
      assert.equal(new InboxIntake(r.node).hold(e as unknown as JsonObject), 'held');
      envelopes.push(e);
    }
    assert.deepEqual(r.dms.list(), [], 'R knows of no conversation');
    r.node.store.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const f of filesUnder(r.node.home.root)) assert.equal(readFileSync(f).indexOf('tea at four'), -1, `plaintext in ${f}`);
    for (const e of envelopes) await new InboxIntake(b.node).openHeld(e as unknown as JsonObject);
    assert.equal(await deliver(a, d), 2);

    for (const [name, x] of [
      ['A', a],
      ['B', b],
      ['D', d],
    ] as const) {
      assert.deepEqual(texts(x, conv), [hello], `${name} reads it`);
      const [listed] = x.dms.list();
      assert.deepEqual(listed!.participants.slice().sort(), [a.node.did, b.node.did, d.node.did].sort(), `${name} sees who is in it`);
    }
    for (const f of readdirSync(join(b.node.home.root, 'dm'))) assert.equal(statSync(join(b.node.home.root, 'dm', f)).mode & 0o777, 0o600);
    assert.equal(b.dms.list()[0]!.unread, 0, 'reading marked it read');

    // C was not given the key: a delivery of it (misdirected, or forwarded by someone) is refused and leaves C blind.
    const cBefore = dmState(c);
    await rejectsWith(new InboxIntake(c.node).take(forB[1]!.body), 'not-addressed');
    await rejectsWith(c.dms.receive(JSON.parse(forB[0]!.body) as JsonObject), 'not-addressed', /is for did:key/);
    assert.equal(dmState(c), cBefore);
    assert.deepEqual(c.dms.list(), []);

    // B replies to A's message: threaded, and it reaches A and D.
    const reply = await b.dms.reply(sent.message.id, 'DM: four is fine, I bring scones');
    assert.equal(reply.message.inReplyTo, sent.message.id);
    const bUnread = a.dms.unread();
    await deliver(b, a);
    await deliver(b, d);
    assert.equal(a.dms.unread(), bUnread + 1, 'A is told of a new message');
    for (const x of [a, d]) {
      const got = x.dms.read(conv).messages;
      assert.deepEqual(
        got.map((m) => [m.content, m.inReplyTo]),
        [
          [hello, null],
          ['DM: four is fine, I bring scones', sent.message.id],
        ],
      );
    }

    // A removes D: generation 2, given to B only. What is said after, D cannot read.
    const removed = await a.dms.remove(conv, d.node.did);
    assert.equal(removed.generation, 2);
    assert.deepEqual(removed.participants.slice().sort(), [a.node.did, b.node.did].sort());
    const after = 'DM-AFTER: D is not to know this';
    await a.dms.send(conv, after);
    assert.deepEqual(queuedFor(a, d), [], 'nothing of generation 2 is sent to D');
    await deliver(a, b);
    assert.deepEqual(texts(b, conv), [hello, 'DM: four is fine, I bring scones', after]);
    const bAfter = await b.dms.send(conv, 'DM-AFTER: agreed');
    assert.equal(bAfter.deliveries.length, 1, 'B writes to A only now');
    await deliver(b, a);
    assert.deepEqual(texts(a, conv).slice(-2), [after, 'DM-AFTER: agreed']);

    // Even handed everything of generation 2, D reads nothing: not its key, not its messages.
    const dBefore = dmState(d);
    const aMsg = a.node.store.directMessages.messages(conv, 10).find((m) => m.content === after)!;
    await rejectsWith(new InboxIntake(d.node).take(aMsg.body), 'not-addressed');
    assert.equal(dmState(d), dBefore);
    assert.deepEqual(texts(d, conv), [hello, 'DM: four is fine, I bring scones'], 'D keeps what it had, and nothing after');
    assert.equal(d.dms.list()[0]!.generation, 1);

    // D, not told, writes under generation 1: A and B refuse it, since generation 2 had begun.
    await d.dms.send(conv, 'DM: am I still here?');
    for (const x of [a, b]) {
      const before = dmState(x);
      const [q] = queuedFor(d, x);
      await rejectsWith(new InboxIntake(x.node).take(q!.body), 'expired', /after generation 2 began/);
      assert.equal(dmState(x), before);
    }
    await rejectsWith(b.dms.remove(conv, a.node.did), 'unauthorized', /only the creator/);
  } finally {
    for (const x of [a, b, c, d, r]) x.close();
  }
});

test('bad input: a key object for someone else, a replayed old generation, a sealed box with a wrong tag; refused with codes, nothing stored changes', async () => {
  const [a, b, c] = [person(), person(), person()];
  try {
    const first = await a.dms.start([b.node.did, c.node.did], 'DM: first');
    const conv = first.message.conversation;
    const forB = queuedFor(a, b);
    const keyForB = JSON.parse(forB[0]!.body) as JsonObject;
    const msgForB = JSON.parse(forB[1]!.body) as JsonObject;
    const intake = new InboxIntake(b.node);

    // A wrong tag on the sealed key: re-signed by A, so only the box is wrong.
    const before = dmState(b);
    const badKey = resigned(a, keyForB, (k) => void (k.ct = flipped(String(k.ct))));
    await rejectsWith(intake.take(badKey), 'bad-signature', /does not open/);
    assert.equal(dmState(b), before);
    // A key object for someone else (C's), even under a DID it names B's node does not answer for.
    const keyForC = JSON.parse(queuedFor(a, c)[0]!.body) as JsonObject;
    await rejectsWith(b.dms.receive(keyForC), 'not-addressed');
    // A key handed out by someone other than the conversation's creator.
    await rejectsWith(b.dms.receive(resigned(c, keyForB, (k) => void (k.attributedTo = `ap://${c.node.did}/actor`))), 'wrong-key');
    assert.equal(dmState(b), before);

    // The real key and message go in; a message with a wrong tag is refused then.
    await intake.take(keyForB);
    await intake.take(msgForB);
    assert.deepEqual(texts(b, conv), ['DM: first']);
    const held = dmState(b);
    const badMsg = resigned(a, msgForB, (m) => {
      m.id = `${String(m.id)}x`;
      m.ct = flipped(String(m.ct));
    });
    await rejectsWith(intake.take(badMsg), 'bad-signature', /tag is wrong/);
    assert.equal(dmState(b), held);
    // The same generation again under another key: a replay, refused.
    const to = a.keys.agreement.recipientKey(b.node.did);
    const forged = a.node.sign(
      await buildConversationKeyObject(
        { conversation: conv, generation: 1, participants: [a.node.did, b.node.did, c.node.did] as Did[], recipient: b.node.did, keyId: to.keyId },
        new Uint8Array(32).fill(7),
        to.publicKey,
      ),
    );
    await rejectsWith(intake.take(forged), 'conflict', /replays it/);
    assert.equal((await intake.take(keyForB)).status, 'duplicate', 'the very same key object again changes nothing');
    assert.equal(dmState(b), held);

    // A removes C; B gets generation 2 first. The old generation-1 key, replayed after, is refused.
    const other = await a.dms.start([b.node.did, c.node.did], 'DM: second conversation');
    const conv2 = other.message.conversation;
    const [key1, msg1] = queuedFor(a, b);
    await a.dms.remove(conv2, c.node.did);
    const [key2] = queuedFor(a, b);
    await intake.take(key2!.body);
    const atGen2 = dmState(b);
    await rejectsWith(intake.take(key1!.body), 'expired', /replayed old key/);
    await rejectsWith(intake.take(msg1!.body), 'expired', /older than the newest/);
    assert.equal(dmState(b), atGen2);
  } finally {
    for (const x of [a, b, c]) x.close();
  }
});
