import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPair } from '../src/core/ed25519.js';
import { didFromPublicKey } from '../src/core/didkey.js';
import { outboxId } from '../src/core/apid.js';
import { isJsonObject } from '../src/core/types.js';
import { silentLogger, type Logger } from '../src/core/log.js';
import { parseBody } from '../src/store/objects.js';
import { KithNode } from '../src/node/kith-node.js';
import { KithService } from '../src/node/service.js';
import { refusedWith, rejectsWith, tempDir } from './helpers.js';

/**
 * The application service on a real store, with no network: the rules every
 * surface relies on (caps, canonical ids, `src` stripping, DID parsing), what
 * needs the network saying so, and settings applied through their listeners.
 */

const PNG_1PX = Buffer.from(
  '89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);

function serviceInTempHome(): { service: KithService; errors: string[] } {
  const errors: string[] = [];
  const log: Logger = { ...silentLogger, warn: (l) => errors.push(l), error: (l) => errors.push(l) };
  const { node } = KithNode.init(tempDir('kith-service-'));
  return { service: new KithService(node, { log }), errors };
}

test('posting: the 5,000-character cap, replies to canonical ap:// ids only, attachments signed without their view links', async () => {
  const { service } = serviceInTempHome();
  const { node } = service;
  try {
    const count = (): number => node.store.objects.count(outboxId(node.did));
    const before = count();
    await rejectsWith(service.publishing.post({ text: 'x'.repeat(5001) }), 'malformed', /at most 5000 characters; this one has 5001/);
    await rejectsWith(service.publishing.post({ text: ' \n ' }), 'malformed');
    await rejectsWith(service.publishing.post({ text: 'hi', inReplyTo: 'https://example.com/1' }), 'malformed', /ap:\/\/ id/);
    await rejectsWith(service.publishing.post({ text: 'hi', attachment: [{ url: 'urn:eris:nope', mediaType: 'image/png', size: 1 }] }), 'malformed');
    assert.equal(count(), before, 'nothing refused was stored');

    const first = await service.publishing.post({ text: 'x'.repeat(5000) });
    assert.equal(first.pushedTo, 0, 'no network, nobody to push to');
    const attachment = await service.media.upload({ bytes: PNG_1PX, mediaType: 'image/png; charset=binary', name: 'a/b\u0000.png' });
    assert.equal(attachment.name, 'a_b_.png', 'a file name is kept as a name, never a path');
    const reply = await service.publishing.post({
      text: 'a reply',
      inReplyTo: first.noteId.replace(/^ap:/, 'AP:'),
      attachment: [{ ...attachment, src: '/api/media/whatever' }],
    });
    const note = parseBody(node.store.objects.byDigest(reply.digest)!).object;
    assert.ok(isJsonObject(note));
    assert.equal(note.inReplyTo, first.noteId, 'the id answered is stored canonical');
    assert.deepEqual(note.attachment, [attachment], 'the view link is not signed into the post');
    assert.deepEqual(Buffer.from(await service.media.read(String(attachment.url))), PNG_1PX);

    const thread = service.reading.thread(first.noteId);
    assert.deepEqual(
      thread.replies.map((r) => r.digest),
      [reply.digest],
    );
    assert.deepEqual(
      service.reading.thread(reply.noteId).ancestors.map((a) => a.digest),
      [first.digest],
    );
    refusedWith(() => service.reading.thread('nope'), 'malformed');
  } finally {
    service.close();
  }
});

test('people: DIDs are parsed before anything is stored, a peer address needs the network, nobody blocks themselves', async () => {
  const { service } = serviceInTempHome();
  const someone = didFromPublicKey(generateKeyPair().publicKey);
  try {
    await rejectsWith(service.people.follow('did:key:zNotAKey'), 'bad-encoding');
    await rejectsWith(service.people.follow('   '), 'malformed');
    await rejectsWith(service.people.follow('/ip4/127.0.0.1/tcp/1'), 'conflict', /kith start/);
    refusedWith(() => service.people.unfollow('someone'), 'malformed');
    assert.deepEqual(service.people.following(), []);

    const followed = await service.people.follow(` ap://${someone}/actor `);
    assert.deepEqual(followed, { did: someone, added: true, synced: [], received: 0, objects: 0, found: false });
    refusedWith(() => service.people.block(service.node.did), 'conflict');
    assert.deepEqual(
      service.people.following().map((f) => f.did),
      [someone],
      'a refused block changes nothing',
    );
    assert.equal(service.people.block(someone), someone);
    assert.deepEqual(service.people.following(), [], 'blocking unfollows');
    assert.deepEqual(service.people.blocked(), [someone]);
    assert.deepEqual(service.people.unblock(`ap://${someone}/actor`), { did: someone, removed: true });
    await rejectsWith(service.devices.revoke('zzz'), 'malformed');
    await rejectsWith(service.media.fetch('urn:eris:nope'), 'malformed');
  } finally {
    service.close();
  }
});

test('settings: checked whole, then applied by every listener; a failing listener is logged and the rest still run', async () => {
  const { service, errors } = serviceInTempHome();
  try {
    const seen: boolean[] = [];
    service.onPreferences(() => {
      throw new Error('mDNS is unavailable');
    });
    const stop = service.onPreferences((p) => seen.push(p.discoverable));
    refusedWith(() => service.updateSettings({ discoverable: 'no' }), 'malformed');
    assert.deepEqual(seen, [], 'a refused change reaches no listener');
    assert.equal(service.updateSettings({ discoverable: false }).discoverable, false);
    assert.deepEqual(seen, [false]);
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /mDNS is unavailable/);
    stop();
    service.updateSettings({ discoverable: true });
    assert.deepEqual(seen, [false]);
    assert.equal(service.settings().discoverable, true);

    const status = service.status();
    assert.equal(status.peerId, null);
    assert.deepEqual(status.syncing, []);
    assert.ok(status.scopes.some((s) => s.scope === outboxId(service.node.did)));
    assert.deepEqual(service.peers(), []);
  } finally {
    service.close();
  }
});
