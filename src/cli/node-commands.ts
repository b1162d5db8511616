import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fail } from '../core/errors.js';
import { homePaths } from '../node/home.js';
import { emit, when } from './output.js';
import { action, addPageCommand, withService, type Opts } from './common.js';
import { runningNode } from './control-client.js';
import { kithCommand } from './command-name.js';
import { addStartCommand } from './start-command.js';

/** Commands about the node on the network: running it, following people, reading the feed. */

/** A follow's state as `kith following` shows it. */
const FOLLOW_STATES = { requested: 'asked', accepted: 'accepted', rejected: 'rejected by them (ended)' } as const;

export function addNodeCommands(program: Command): void {
  addStartCommand(program);

  program
    .command('status')
    .description('what this node is, where it listens, what it keeps and how syncing goes')
    .action(
      action(async (_args, opts) => {
        const home = homePaths(opts.home as string | undefined);
        const running = await runningNode(home);
        const status = running
          ? { running: true, ...(await running.call('GET /status')) }
          : await withService(opts, async (service) => {
              // Not running: the peer id it will have, if it ever ran here.
              const keyFile = join(home.root, 'node.key');
              const peerId = existsSync(keyFile) ? await peerIdOf(keyFile) : null;
              return { running: false, ...service.status(), peerId };
            });
        emit(opts, status, () => [
          status.running ? 'Node running.' : `Node not running (start it with: ${kithCommand('start', home.root)}).`,
          `  DID        ${status.did}`,
          `  peer id    ${status.peerId ?? '(none yet)'}`,
          ...status.addresses.map((a) => `  address    ${a}`),
          ...(status.running ? [`  peers      ${status.connections}`] : []),
          ...status.scopes.map((x) => `  keeps      ${x.objects} objects of ${x.scope}`),
          ...status.syncing.map((x) => `  syncing    ${x.scope}: ${x.received}/${x.needed}`),
          ...status.lastSyncs.slice(0, 5).map((x) => `  synced     ${when(x.lastOk)} ${x.scope.slice(5, 25)}… with ${x.peerId.slice(0, 12)}… (+${x.received})`),
          ...status.refused.map((x) => `  refused    ${x.count} × ${x.code}, last ${when(x.lastAt)}`),
        ]);
      }),
    );

  program
    .command('peers')
    .description('the peers the running node is connected to')
    .action(
      action(async (_args, opts) => {
        const running = await runningNode(homePaths(opts.home as string | undefined));
        if (!running) fail('not-found', `the node is not running; start it with: ${kithCommand('start', opts.home as string | undefined)}`);
        const { peers } = await running.call('GET /peers');
        emit(opts, { peers }, () =>
          peers.length === 0 ? 'No peers connected.' : peers.map((p) => `${p.peerId}  ${p.direction.padEnd(8)} ${p.addresses.join(' ')}`),
        );
      }),
    );

  program
    .command('follow')
    .description("follow a person by DID, ap:// id, or their node's multiaddr, and fetch what they posted")
    .argument('<did|ap-id|multiaddr>')
    .action(
      action(async ([target = ''], opts: Opts) => {
        // A running node follows and fetches at once; otherwise the follow is stored and their posts arrive when it runs.
        const home = opts.home as string | undefined;
        const running = await runningNode(homePaths(home));
        const r = running ? await running.call('POST /follow', { target }) : await withService(opts, (s) => s.people.follow(target));
        const from = r.synced.filter((s) => s.ok).length;
        const verb = r.added ? 'Following' : 'Already following';
        emit(opts, { ok: true, ...r }, () =>
          !running
            ? [`${verb} ${r.did}; their posts arrive when the node runs.`, `  start it with: ${kithCommand('start', home)}`]
            : r.found
              ? [`${verb} ${r.did}`, `  fetched ${r.received} new object(s) from ${from} peer(s); ${r.objects} held`]
              : [
                  `${verb} ${r.did}, but no node holding their posts was found yet; Kith keeps looking.`,
                  `  check the DID or address if that lasts; ${kithCommand('following', home)} shows when something arrives`,
                ],
        );
      }),
    );

  program
    .command('unfollow')
    .description('stop following a person')
    .argument('<did|ap-id>')
    .action(
      action(async ([target = ''], opts) => {
        const running = await runningNode(homePaths(opts.home as string | undefined));
        const { did, removed } = running ? await running.call('POST /unfollow', { did: target }) : await withService(opts, (s) => s.people.unfollow(target));
        emit(opts, { ok: true, did, removed }, () => (removed ? `Unfollowed ${did}` : `You were not following ${did}`));
      }),
    );

  program
    .command('following')
    .description('the people you follow, and what has arrived of each')
    .action(
      action((_args, opts) =>
        withService(opts, (service) => {
          const follows = service.people.followingStatus();
          emit(opts, { following: follows }, () =>
            follows.length === 0
              ? `You follow nobody yet. Follow with: ${kithCommand('follow <did>', opts.home as string | undefined)}`
              : follows.map(
                  (f) =>
                    `${f.did}  since ${when(f.since)}  ${FOLLOW_STATES[f.state]}  ` +
                    (f.state === 'rejected'
                      ? ''
                      : f.found
                        ? `${f.objects} objects${f.lastSync === null ? '' : `, last synced ${when(f.lastSync)} with ${f.syncedWith} peer(s)`}`
                        : 'nothing received yet: no node holding their posts found'),
                ),
          );
        }),
      ),
    );

  addPageCommand(
    program,
    'feed',
    'posts of the people you follow, newest first',
    (node, page) => node.feed(page),
    (home) => `Your feed is empty. Follow people with: ${kithCommand('follow <did>', home)}`,
  );
}

/** The peer id a node key file gives; libp2p is loaded only here, as most commands never need it. */
async function peerIdOf(keyFile: string): Promise<string> {
  const [{ peerIdFromPrivateKey }, { loadOrCreateNodeKey }] = await Promise.all([import('@libp2p/peer-id'), import('../net/node-key.js')]);
  return peerIdFromPrivateKey(await loadOrCreateNodeKey(keyFile)).toString();
}
