import { test } from 'node:test';
import assert from 'node:assert/strict';
import { actorId } from '../src/core/apid.js';
import { AS_CONTEXT, isoNow, newObjectId } from '../src/core/as2.js';
import { FORUM } from '../src/core/forum-constants.js';
import type { Did, JsonObject } from '../src/core/types.js';
import { KithService } from '../src/node/service.js';
import { InboxIntake } from '../src/node/inbox-intake.js';
import { forumPerson, replicate } from './forum-fixtures.js';
import { refusedWith, rejectsWith, waitFor } from './helpers.js';

/**
 * Reports of forum posts on real stores, the inbox's intake as the network
 * hands it a delivery: a member's Flag reaches the owner's node and a
 * moderator's, is kept out of every scope, and is dismissed or acted on
 * (the act signed, in the log). Bad reports are refused with their code and
 * change nothing stored.
 */

const person = (): KithService => forumPerson('kith-report-');

/** What a node stores: objects (every scope), report rows, queued deliveries. */
function stored(s: KithService): { objects: number; reports: number; outgoing: number } {
  const count = (table: string): number => s.node.store.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;
  return { objects: count('objects'), reports: count('forum_reports'), outgoing: count('outgoing_deliveries') };
}

/** The delivery `from` queued for `to` last, handed to `to`'s node through its inbox intake. */
function deliverLast(from: KithService, recipient: Did, to: KithService): void {
  const row = from.node.store.outgoing
    .list()
    .filter((r) => r.recipient === recipient)
    .at(-1);
  assert.ok(row, `a delivery to ${recipient} waits`);
  new InboxIntake(to.node).receive(row.body);
}

/** A Flag signed by `s`, as a client other than Kith's own could send it. */
function flagBy(s: KithService, forum: Did, post: string, content: string): JsonObject {
  return s.node.sign({
    '@context': [...AS_CONTEXT],
    id: newObjectId(s.node.did),
    type: 'Flag',
    actor: s.node.actorId,
    object: post,
    content,
    to: [actorId(forum)],
    published: isoNow(),
  });
}

async function member(o: KithService, s: KithService, forum: Did): Promise<void> {
  replicate(o, s, forum);
  await s.forums.join(forum);
  deliverLast(s, forum, o);
  await waitFor('the owner node admits them', () => o.forums.members(forum).some((m) => m.did === s.node.did));
  replicate(o, s, forum);
}

test('forum reports: a member reports a post to the owner and a moderator, never in a scope; dismissed or acted on', async () => {
  const [o, m, x, y, n] = [person(), person(), person(), person(), person()];
  const F = o.forums.create('Allotments', 'open').forum;
  for (const s of [m, x, y]) await member(o, s, F);
  o.moderation.moderatorAdd(F, m.node.did);
  x.forums.post(F, 'buy cheap watches');
  x.forums.post(F, 'more watches');
  replicate(x, o, F);
  for (const s of [m, y, n]) replicate(o, s, F);
  const [second, first] = y.forums.read(F);
  assert.ok(first && second && first.text === 'buy cheap watches');

  // Y reports X's post: one delivery to the forum (its owner's node), one to the moderator.
  const sent = await y.forumReports.report(F, first.id, 'spam');
  assert.deepEqual(
    sent.deliveries.map((d) => [d.recipient, d.status]).sort(),
    [
      [F, 'queued'],
      [m.node.did, 'queued'],
    ].sort(),
  );
  deliverLast(y, F, o);
  deliverLast(y, m.node.did, m);
  for (const s of [o, m]) {
    const [r, ...more] = s.forumReports.reports(F);
    assert.equal(more.length, 0);
    assert.deepEqual([r?.id, r?.reporter, r?.author, r?.text, r?.reason, r?.state], [sent.id, y.node.did, x.node.did, 'buy cheap watches', 'spam', 'open']);
  }
  // The Flag is in no scope on any node: nobody who syncs Y's outbox or the forum learns who reported.
  for (const s of [o, m, y]) assert.equal(s.node.store.db.prepare("SELECT COUNT(*) FROM objects WHERE type = 'Flag'").pluck().get(), 0);
  refusedWith(() => x.forumReports.reports(F), 'unauthorized', /owner and its moderators/, 'a plain member listing reports');

  // The owner hides the post from the report: a signed hide in the log; the moderator's copy settles when the act arrives.
  const acted = o.forumReports.act(F, sent.id, 'hide');
  assert.equal(acted.act.kind, 'hide');
  assert.equal(acted.report.state, 'acted');
  assert.ok(o.moderation.log(F).some((a) => a.kind === 'hide' && a.id === acted.act.act));
  assert.deepEqual(o.forumReports.reports(F), []);
  assert.ok(!o.forums.read(F).some((p) => p.id === first.id));
  replicate(o, m, F);
  await waitFor('the moderator\u2019s copy of the report settles', () => m.forumReports.reports(F).length === 0);
  refusedWith(() => o.forumReports.act(F, sent.id, 'ban'), 'conflict', /acted already/, 'acting twice on a report');

  // A second report: the moderator dismisses it; then bans the author from a third.
  const r2 = await y.forumReports.report(F, second.id, 'also spam');
  deliverLast(y, m.node.did, m);
  assert.equal(m.forumReports.dismiss(F, r2.id).state, 'dismissed');
  assert.deepEqual(m.forumReports.reports(F), []);
  refusedWith(() => m.forumReports.dismiss(F, r2.id), 'conflict', undefined, 'dismissing twice');
  refusedWith(() => m.forumReports.act(F, r2.id, 'delete'), 'conflict', undefined, 'an action on a settled report');
  const r3 = await y.forumReports.report(F, second.id, 'spammer');
  deliverLast(y, m.node.did, m);
  refusedWith(() => m.forumReports.act(F, r3.id, 'delete'), 'malformed', /"hide" or "ban"/, 'an unknown action');
  const ban = m.forumReports.act(F, r3.id, 'ban');
  assert.deepEqual([ban.act.kind, ban.act.about], ['ban', x.node.did]);
  assert.ok(m.forums.members(F).find((mm) => mm.did === x.node.did)?.banned);
});

test('forum reports: too long, empty, not a member, banned, not a post, too many: refused with codes, nothing stored', async () => {
  const [o, x, y, n] = [person(), person(), person(), person()];
  const F = o.forums.create('Choir', 'open').forum;
  for (const s of [x, y]) await member(o, s, F);
  x.forums.post(F, 'la la la');
  replicate(x, o, F);
  for (const s of [y, n]) replicate(o, s, F);
  const post = y.forums.read(F)[0]!.id;

  const before = { o: stored(o), y: stored(y), n: stored(n) };
  await rejectsWith(y.forumReports.report(F, post, 'x'.repeat(FORUM.MAX_REPORT_CHARS + 1)), 'too-large', /at most/, 'a reason too long');
  await rejectsWith(y.forumReports.report(F, post, '   '), 'malformed', /reason/, 'an empty reason');
  await rejectsWith(y.forumReports.report(F, `ap://${F}/actor`, 'spam'), 'malformed', /post of the forum/, 'what is not a post');
  await rejectsWith(y.forumReports.report(F, post.replace(F, y.node.did), 'spam'), 'malformed', /post of the forum/, 'a post of another scope');
  await rejectsWith(n.forumReports.report(F, post, 'spam'), 'unauthorized', /only a member/, 'a report by a non-member');
  assert.deepEqual({ o: stored(o), y: stored(y), n: stored(n) }, before);

  // The same refused where it arrives, whatever client signed it.
  const intake = new InboxIntake(o.node);
  refusedWith(() => intake.receive(flagBy(n, F, post, 'spam')), 'unauthorized', /no member/, 'a Flag by a non-member');
  refusedWith(() => intake.receive(flagBy(y, F, post, 'y'.repeat(FORUM.MAX_REPORT_CHARS + 1))), 'too-large', undefined, 'a Flag with a reason too long');
  refusedWith(() => intake.receive(flagBy(y, F, post, '')), 'malformed', undefined, 'a Flag with no reason');
  refusedWith(() => intake.receive(flagBy(y, F, `ap://${F}/actor`, 'spam')), 'malformed', undefined, 'a Flag of the forum itself');
  const other = x.forums.create('Elsewhere', 'open').forum;
  refusedWith(() => intake.receive(flagBy(y, other, post.replace(F, other), 'spam')), 'not-addressed', undefined, 'a Flag for a forum this node does not own');
  assert.deepEqual(stored(o), before.o);

  // Five reports an hour from one member; the sixth is refused on their node and on the owner's.
  for (let i = 0; i < FORUM.REPORTS_PER_WINDOW; i++) {
    await y.forumReports.report(F, post, `report ${i}`);
    deliverLast(y, F, o);
  }
  assert.equal(o.forumReports.reports(F).length, FORUM.REPORTS_PER_WINDOW);
  const full = { o: stored(o), y: stored(y) };
  await rejectsWith(y.forumReports.report(F, post, 'one more'), 'rate-limited', /limit/, 'a sixth report in an hour');
  refusedWith(() => intake.receive(flagBy(y, F, post, 'one more')), 'rate-limited', /limit/, 'a sixth Flag in an hour');
  assert.deepEqual({ o: stored(o), y: stored(y) }, full);

  // A banned member's reports are refused too.
  o.moderation.ban(F, y.node.did);
  refusedWith(() => intake.receive(flagBy(y, F, post, 'after the ban')), 'unauthorized', /banned/, 'a Flag by a banned member');
  refusedWith(() => o.forumReports.dismiss(F, 'ap://nothing'), 'not-found', undefined, 'dismissing a report that is not here');
});
