import type { Command } from 'commander';
import { homePaths } from '../node/home.js';
import type { FollowerAnswered } from '../node/follow-requests.js';
import type { Follower } from '../store/followers.js';
import type { KithService } from '../node/service.js';
import { emit, when } from './output.js';
import { action, withService, type Opts } from './common.js';
import { runningNode } from './control-client.js';
import { kithCommand } from './command-name.js';

/**
 * The owner's followers and the requests waiting for them: `kith followers`,
 * `kith follow-requests`, `kith approve`, `kith reject`, `kith remove-follower`.
 * Answers are signed here and delivered to the follower's node: at once
 * through a running node, or when the node next runs.
 */

type Answer = 'approve' | 'reject' | 'remove-follower';

const ANSWERS: readonly { name: Answer; route: 'POST /approve' | 'POST /reject' | 'POST /remove-follower'; description: string; done: string }[] = [
  { name: 'approve', route: 'POST /approve', description: 'accept a request to follow you (a locked account)', done: 'Approved' },
  { name: 'reject', route: 'POST /reject', description: 'reject a request to follow you', done: 'Rejected' },
  { name: 'remove-follower', route: 'POST /remove-follower', description: 'stop someone following you: their node stops following', done: 'Removed' },
];

function run(service: KithService, name: Answer, target: string): Promise<FollowerAnswered> {
  if (name === 'approve') return service.follows.approve(target);
  if (name === 'reject') return service.follows.reject(target);
  return service.follows.remove(target);
}

function listed(rows: readonly Follower[], empty: string): string[] {
  return rows.length === 0 ? [empty] : rows.map((f) => `${f.did}  since ${when(f.since)}`);
}

export function addFollowerCommands(program: Command): void {
  program
    .command('followers')
    .description('the people who follow you')
    .action(
      action((_args, opts: Opts) =>
        withService(opts, (s) => {
          const followers = s.follows.followers();
          emit(opts, { followers }, () => listed(followers, 'Nobody follows you yet.'));
        }),
      ),
    );

  program
    .command('follow-requests')
    .description('requests to follow you that wait for your answer (when the account is locked)')
    .action(
      action((_args, opts: Opts) =>
        withService(opts, (s) => {
          const requests = s.follows.pending();
          const home = opts.home as string | undefined;
          emit(opts, { requests, locked: s.settings().locked }, () =>
            requests.length === 0
              ? ['No requests wait for you.']
              : [...listed(requests, ''), `  answer with: ${kithCommand('approve <did>', home)} or ${kithCommand('reject <did>', home)}`],
          );
        }),
      ),
    );

  for (const c of ANSWERS) {
    program
      .command(c.name)
      .description(c.description)
      .argument('<did|ap-id>')
      .action(
        action(async ([target = ''], opts: Opts) => {
          const running = await runningNode(homePaths(opts.home as string | undefined));
          const r = running ? await running.call(c.route, { did: target }) : await withService(opts, (s) => run(s, c.name, target));
          emit(opts, { ok: true, ...r }, () => [
            `${c.done} ${r.did}`,
            `  ${r.state === 'accepted' ? 'Accept' : 'Reject'} ${r.activity}`,
            running ? '  delivered to their node' : '  (node not running: delivered to their node when it runs)',
          ]);
        }),
      );
  }
}
