import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { fail, KithError } from '../core/errors.js';
import { reasonOf } from '../core/log.js';
import { parseDid } from '../core/didkey.js';
import { didOf, outboxId } from '../core/apid.js';
import type { Did, JsonObject } from '../core/types.js';
import type { KithNode } from '../node/kith-node.js';
import { homePaths } from '../node/home.js';
import { loadOrCreateNodeKey } from '../net/node-key.js';
import { emit, when } from './output.js';
import { action, addPageCommand, withNode, type Opts } from './common.js';
import { runningNode } from './control-client.js';
import { kithCommand } from './command-name.js';
import { addStartCommand } from './start-command.js';

/** Commands about the node on the network: running it, following people, reading the feed. */

function personOf(target: string): Did {
  if (target.startsWith('did:')) return parseDid(target);
  if (/^ap(\+ef61)?:\/\//i.test(target)) return didOf(target);
  return fail('malformed', `expected a did:key or an ap:// id, not "${target.slice(0, 60)}"`);
}

interface FollowAnswer {
  did: string;
  added: boolean;
  synced: { peer: string; ok: boolean; received: number; error?: string }[];
}

/** Objects of this person's scope held here. */
function countOf(node: KithNode, did: Did): number {
  return node.store.objects.count(node.store.follows.get(did)?.scope ?? outboxId(did));
}

/** Per person followed: what is held, when a sync last brought something, from how many peers. */
function followingStatus(node: KithNode) {
  const syncs = node.store.peers.syncState();
  return node.following().map((f) => {
    const mine = syncs.filter((s) => s.scope === f.scope);
    const objects = node.store.objects.count(f.scope);
    return {
      ...f,
      objects,
      found: objects > 0,
      lastSync: mine.length === 0 ? null : Math.max(...mine.map((s) => s.lastOk)),
      syncedWith: mine.length,
    };
  });
}

/** A multiaddr where no Kith node answered: say so in words, not in libp2p's. */
function unreachable(target: string, e: unknown): unknown {
  // A refusal of Kith's own (a malformed address, following yourself) already says what is wrong.
  if (e instanceof KithError && !['io', 'timeout', 'internal'].includes(e.code)) return e;
  return new KithError(
    'io',
    `no Kith node answered at ${target} (${reasonOf(e)}); nobody was followed. Check the address, its port and its peer id: ` +
      `on that node, ${kithCommand('status')} prints the addresses it listens on`,
  );
}

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
          ? { running: true, ...(await running.call<JsonObject>('GET', '/status')) }
          : await withNode(opts, async (node) => {
              const keyFile = join(home.root, 'node.key');
              const peerId = existsSync(keyFile) ? peerIdFromPrivateKey(await loadOrCreateNodeKey(keyFile)).toString() : null;
              return {
                running: false,
                did: node.did,
                peerId,
                addresses: [],
                scopes: node.scopes().map((s) => ({ scope: s, objects: node.store.objects.count(s) })),
                lastSyncs: node.store.peers.syncState().slice(0, 50),
              };
            });
        emit(opts, status, () => {
          const s = status as Record<string, any>;
          return [
            s.running ? 'Node running.' : `Node not running (start it with: ${kithCommand('start', home.root)}).`,
            `  DID        ${s.did}`,
            `  peer id    ${s.peerId ?? '(none yet)'}`,
            ...(s.addresses as string[]).map((a: string) => `  address    ${a}`),
            ...(s.running ? [`  peers      ${s.connections}`] : []),
            ...(s.scopes as { scope: string; objects: number }[]).map((x) => `  keeps      ${x.objects} objects of ${x.scope}`),
            ...((s.syncing ?? []) as { scope: string; received: number; needed: number }[]).map((x) => `  syncing    ${x.scope}: ${x.received}/${x.needed}`),
            ...(s.lastSyncs as { scope: string; peerId: string; lastOk: number; received: number }[])
              .slice(0, 5)
              .map((x) => `  synced     ${when(x.lastOk)} ${x.scope.slice(5, 25)}… with ${x.peerId.slice(0, 12)}… (+${x.received})`),
          ];
        });
      }),
    );

  program
    .command('peers')
    .description('the peers the running node is connected to')
    .action(
      action(async (_args, opts) => {
        const running = await runningNode(homePaths(opts.home as string | undefined));
        if (!running) fail('not-found', `the node is not running; start it with: ${kithCommand('start', opts.home as string | undefined)}`);
        const { peers } = await running.call<{ peers: { peerId: string; addresses: string[]; direction: string }[] }>('GET', '/peers');
        emit(opts, { peers }, () => (peers.length === 0 ? 'No peers connected.' : peers.map((p) => `${p.peerId}  ${p.direction.padEnd(8)} ${p.addresses.join(' ')}`)));
      }),
    );

  program
    .command('follow')
    .description("follow a person by DID, ap:// id, or their node's multiaddr, and fetch what they posted")
    .argument('<did|ap-id|multiaddr>')
    .action(
      action(async ([target = ''], opts: Opts) => {
        const home = opts.home as string | undefined;
        const running = await runningNode(homePaths(home));
        if (!running) {
          if (target.startsWith('/')) fail('conflict', `following a multiaddr needs the node running (${kithCommand('start', home)}), to ask that node whose it is`);
          const did = personOf(target);
          const added = await withNode(opts, (node) => node.follow(did));
          emit(opts, { ok: true, did, added, found: false, synced: [] }, () => [
            `${added ? 'Following' : 'Already following'} ${did}; their posts arrive when the node runs.`,
            `  start it with: ${kithCommand('start', home)}`,
          ]);
          return;
        }
        const r = await running.call<FollowAnswer>('POST', '/follow', { target }).catch((e: unknown) => {
          throw target.startsWith('/') ? unreachable(target, e) : e;
        });
        const reached = r.synced.filter((s) => s.ok);
        const got = reached.reduce((n, s) => n + s.received, 0);
        // Found means something of theirs is here now: a sync that answered but knew nothing of them found nobody.
        const held = await withNode(opts, (node) => countOf(node, r.did as Did));
        const found = held > 0;
        emit(opts, { ok: true, ...r, found, objects: held }, () => [
          found
            ? `${r.added ? 'Following' : 'Already following'} ${r.did}`
            : `${r.added ? 'Following' : 'Already following'} ${r.did}, but no node holding their posts was found yet; Kith keeps looking.`,
          found
            ? `  fetched ${got} new object(s) from ${reached.length} peer(s); ${held} held`
            : `  check the DID or address if that lasts; ${kithCommand('following', home)} shows when something arrives`,
        ]);
      }),
    );

  program
    .command('unfollow')
    .description('stop following a person')
    .argument('<did|ap-id>')
    .action(
      action(async ([target = ''], opts) => {
        const did = personOf(target);
        const running = await runningNode(homePaths(opts.home as string | undefined));
        const removed = running
          ? (await running.call<{ removed: boolean }>('POST', '/unfollow', { did })).removed
          : await withNode(opts, (node) => node.unfollow(did));
        emit(opts, { ok: true, did, removed }, () => (removed ? `Unfollowed ${did}` : `You were not following ${did}`));
      }),
    );

  program
    .command('following')
    .description('the people you follow, and what has arrived of each')
    .action(
      action((_args, opts) =>
        withNode(opts, (node) => {
          const follows = followingStatus(node);
          emit(opts, { following: follows }, () =>
            follows.length === 0
              ? `You follow nobody yet. Follow with: ${kithCommand('follow <did>', opts.home as string | undefined)}`
              : follows.map(
                  (f) =>
                    `${f.did}  since ${when(f.since)}  ` +
                    (f.found
                      ? `${f.objects} objects${f.lastSync === null ? '' : `, last synced ${when(f.lastSync)} with ${f.syncedWith} peer(s)`}`
                      : 'nothing received yet: no node holding their posts found'),
                ),
          );
        }),
      ),
    );

  addPageCommand(program, 'feed', 'posts of the people you follow, newest first', (node, page) => node.feed(page), (home) => `Your feed is empty. Follow people with: ${kithCommand('follow <did>', home)}`);
}
