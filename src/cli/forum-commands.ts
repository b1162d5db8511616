import type { Command } from 'commander';
import { homePaths } from '../node/home.js';
import type { JsonObject } from '../core/types.js';
import { fail } from '../core/errors.js';
import { forumHandlers, type ForumRoutes } from '../api/forum-control.js';
import { emit } from './output.js';
import { action, withService, type Opts } from './common.js';
import { runningNode } from './control-client.js';

/**
 * `kith forum …` (issue 13): each command is one forum route, called on the
 * running node through the control endpoint, or on the store when no node
 * runs (what needs the network then says so).
 */

async function call<K extends keyof ForumRoutes>(opts: Opts, route: K, body: JsonObject): Promise<ForumRoutes[K]['result']> {
  const running = await runningNode(homePaths(opts.home as string | undefined));
  // The body is checked by the route's reader on the node's side, as for every control call.
  if (running)
    return (running.call as (r: K, b: JsonObject) => Promise<ForumRoutes[K]['result']>)(route, route.startsWith('GET ') ? (undefined as never) : body);
  return withService(opts, (s) => {
    const h = forumHandlers(s)[route];
    return h.run(h.read(body) as never) as ForumRoutes[K]['result'];
  });
}

const actLine = (r: { kind: string; about: string; act: string }): string[] => [`${r.kind} ${r.about || '(any root)'}`, `  act ${r.act}`];

export function addForumCommands(program: Command): void {
  const forum = program.command('forum').description('forums: groups with their own key, owners who certify members and moderators');

  forum
    .command('create')
    .description('create a forum owned by you (its root key stays on this node, mode 0600)')
    .argument('<name>')
    .option('--policy <policy>', 'who may join: open, approval or invitation', 'open')
    .action(
      action(async ([name = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/create', { name, policy: String(opts.policy) });
        emit(opts, r, () => [`Created forum "${r.name}" (${r.policy})`, `  ${r.forum}`, `  ${r.id}`]);
      }),
    );

  forum
    .command('list')
    .description('forums this node owns, belongs to or hosts')
    .action(
      action(async (_args, opts: Opts) => {
        const r = await call(opts, 'GET /forums', {});
        emit(opts, r, () => (r.forums.length === 0 ? ['No forums here.'] : r.forums.map((f) => `${f.forum}  ${f.role}  "${f.name}" (${f.policy})`)));
      }),
    );

  forum
    .command('join')
    .description('ask to join a forum (open: certified on join; approval: queued for its moderators; invitation: --token)')
    .argument('<forum>', 'its did:key or ap:// id')
    .option('--via <multiaddr>', 'the address of a node that keeps the forum')
    .option('--token <token>', 'a one-time invitation from `forum invite`')
    .action(
      action(async ([f = ''], opts: Opts) => {
        const body: JsonObject = { forum: f };
        if (opts.via !== undefined) body.via = String(opts.via);
        if (opts.token !== undefined) body.token = String(opts.token);
        const r = await call(opts, 'POST /forum/join', body);
        emit(opts, r, () => (r.status === 'member' ? `You are a member of ${r.forum}` : `Asked to join ${r.forum}; you are a member once it answers`));
      }),
    );

  forum
    .command('host')
    .description('keep and serve a forum on this node (you act in no one\u2019s name there)')
    .argument('<forum>')
    .option('--via <multiaddr>', 'the address of a node that keeps the forum')
    .action(
      action(async ([f = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/host', opts.via === undefined ? { forum: f } : { forum: f, via: String(opts.via) });
        emit(opts, r, () => `Hosting "${r.name}" (${r.forum})`);
      }),
    );

  forum
    .command('post')
    .description('post in a forum, signed with your key under your membership certificate')
    .argument('<forum>')
    .argument('<text>')
    .option('--reply-to <id>', 'the ap:// id of the forum post this answers')
    .action(
      action(async ([f = '', text = ''], opts: Opts) => {
        const body: JsonObject = { forum: f, text };
        if (opts.replyTo !== undefined) body.inReplyTo = String(opts.replyTo);
        const r = await call(opts, 'POST /forum/post', body);
        emit(opts, r, () => `Posted ${r.id}`);
      }),
    );

  forum
    .command('read')
    .description('the forum\u2019s posts, newest first (hidden ones left out)')
    .argument('<forum>')
    .action(
      action(async ([f = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/read', { forum: f });
        emit(opts, r, () =>
          r.posts.length === 0
            ? ['No posts yet.']
            : r.posts.flatMap((p) => [`${p.published}  ${p.author}${p.inReplyTo ? `  (reply to ${p.inReplyTo})` : ''}`, `  ${p.text}`, `  ${p.id}`]),
        );
      }),
    );

  forum
    .command('members')
    .description('who holds a certificate of the forum now, with their roles')
    .argument('<forum>')
    .action(
      action(async ([f = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/members', { forum: f });
        emit(opts, r, () => r.members.map((m) => `${m.did}  ${m.role}${m.banned ? ' (banned)' : ''}${m.expires ? `  until ${m.expires}` : ''}`));
      }),
    );

  forum
    .command('invite')
    .description('a one-time invitation token (owner only)')
    .argument('<forum>')
    .action(
      action(async ([f = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/invite', { forum: f });
        emit(opts, r, () => [r.token, `  valid until ${r.expires}, once`]);
      }),
    );

  forum
    .command('requests')
    .description('join requests waiting for an answer')
    .argument('<forum>')
    .action(
      action(async ([f = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/requests', { forum: f });
        emit(opts, r, () => (r.requests.length === 0 ? ['No requests wait.'] : r.requests.map((q) => `${q.did}  ${q.requested}`)));
      }),
    );

  const acts = [
    ['approve', 'POST /forum/approve', 'admit someone who asked to join'],
    ['reject', 'POST /forum/reject', 'turn down a join request'],
    ['ban', 'POST /forum/ban', 'ban a member: every node refuses their new posts, and their certificate is not renewed'],
    ['unban', 'POST /forum/unban', 'lift a ban'],
    ['block-root', 'POST /forum/block-root', 'block a node root: every account it vouches for is refused here (self-rooted people are not)'],
    ['unblock-root', 'POST /forum/unblock-root', "lift a node-root block: its accounts' new posts are taken again"],
  ] as const;
  // Every act on one person (or node root) of a forum: `<forum> <did>`, answered with the act's line.
  type PersonAct = (typeof acts)[number][1] | 'POST /forum/moderator/add' | 'POST /forum/moderator/remove';
  const onPerson = (cmd: Command, route: PersonAct): void => {
    cmd
      .argument('<forum>')
      .argument('<did>')
      .action(
        action(async ([f = '', did = ''], opts: Opts) => {
          const r = await call(opts, route, { forum: f, did });
          emit(opts, r, () => actLine(r));
        }),
      );
  };
  for (const [name, route, description] of acts) onPerson(forum.command(name).description(description), route);

  forum
    .command('hide')
    .description('hide a post from every reader (a signed act in the log)')
    .argument('<forum>')
    .argument('<post-id>')
    .action(
      action(async ([f = '', post = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/hide', { forum: f, post });
        emit(opts, r, () => actLine(r));
      }),
    );

  const moderator = forum.command('moderator').description('add or remove a moderator (owner only)');
  for (const [name, route] of [
    ['add', 'POST /forum/moderator/add'],
    ['remove', 'POST /forum/moderator/remove'],
  ] as const)
    onPerson(moderator.command(name), route);

  forum
    .command('roots')
    .description('which node roots\u2019 accounts the forum admits, and which it blocks; --only/--any change it (owner only)')
    .argument('<forum>')
    .option('--only <did...>', 'admit only accounts under these node roots (self-rooted people stay admitted)')
    .option('--any', 'admit accounts under any node root again')
    .action(
      action(async ([f = ''], opts: Opts & { only?: string[]; any?: boolean }) => {
        if (opts.only !== undefined && opts.any === true) fail('malformed', 'give --only <did>\u2026 or --any, not both');
        const only = opts.any === true ? [] : opts.only;
        const r = await call(opts, 'POST /forum/roots', only === undefined ? { forum: f } : { forum: f, only });
        emit(opts, r, () => [
          r.only === null ? 'Admits accounts under any node root.' : `Admits only accounts under: ${r.only.join(' ')} (and self-rooted people)`,
          r.blocked.length === 0 ? 'Blocks no node root.' : `Blocks: ${r.blocked.join(' ')}`,
          ...(r.act === undefined ? [] : actLine(r.act)),
        ]);
      }),
    );

  forum
    .command('report')
    .description('report a post to the forum\u2019s owner and moderators, with a short reason (members only; your name goes to them alone)')
    .argument('<forum>')
    .argument('<post-id>')
    .argument('<reason>')
    .action(
      action(async ([f = '', post = '', reason = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/report', { forum: f, post, reason });
        emit(opts, r, () => [`Reported; ${r.id}`, ...r.deliveries.map((d) => `  ${d.recipient}: ${d.status}`)]);
      }),
    );

  forum
    .command('reports')
    .description('open reports of the forum\u2019s posts (owner and moderators)')
    .argument('<forum>')
    .action(
      action(async ([f = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/reports', { forum: f });
        emit(opts, r, () =>
          r.reports.length === 0
            ? ['No open reports.']
            : r.reports.flatMap((q) => [
                `${q.reported}  by ${q.reporter}: ${q.reason}`,
                `  post ${q.post}${q.author ? ` by ${q.author}` : ''}`,
                `  report ${q.id}`,
              ]),
        );
      }),
    );

  forum
    .command('report-dismiss')
    .description('dismiss an open report')
    .argument('<forum>')
    .argument('<report-id>')
    .action(
      action(async ([f = '', id = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/report/dismiss', { forum: f, id });
        emit(opts, r, () => `Dismissed ${r.report.id}`);
      }),
    );

  forum
    .command('report-act')
    .description('act on an open report: hide the post, or ban its author (a signed act in the log)')
    .argument('<forum>')
    .argument('<report-id>')
    .argument('<action>', 'hide or ban')
    .action(
      action(async ([f = '', id = '', what = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/report/act', { forum: f, id, action: what });
        emit(opts, r, () => actLine(r.act));
      }),
    );

  forum
    .command('log')
    .description('every moderation act, each a signed object (check one with kith verify)')
    .argument('<forum>')
    .action(
      action(async ([f = ''], opts: Opts) => {
        const r = await call(opts, 'POST /forum/log', { forum: f });
        emit(opts, r, () =>
          r.acts.length === 0 ? ['No acts yet.'] : r.acts.map((a) => `${a.published}  ${a.kind} ${a.about || '(any root)'}  by ${a.by}  ${a.id}`),
        );
      }),
    );
}
