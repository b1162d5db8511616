import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { peerIdFromPrivateKey } from '@libp2p/peer-id';
import { fail } from '../core/errors.js';
import { KithNode } from '../node/kith-node.js';
import { hasIdentity } from '../node/identity.js';
import { homePaths } from '../node/home.js';
import { Network } from '../node/network.js';
import { createLogger } from '../node/logger.js';
import { KithService } from '../node/service.js';
import { loadOrCreateNodeKey } from '../net/node-key.js';
import { startControl } from '../api/control.js';
import { DEFAULT_API_PORT, startApiServer, type ApiServer } from '../api/api-server.js';
import { advertiseWebApp, type LanAdvertisement } from '../net/lan-advertise.js';
import { emit, when } from './output.js';
import { action, addPageCommand, identitySummary, withService, type Opts } from './common.js';
import { runningNode } from './control-client.js';

/** Commands about the node on the network: running it, following people, reading the feed. */

function port(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail('malformed', `${name} must be a port number from 0 to 65535`);
  return n;
}

export function addNodeCommands(program: Command): void {
  program
    .command('start')
    .description('run the node in the foreground (creates an identity on first run)')
    .option('--port <n>', 'libp2p TCP port (0 = any)', '0')
    .option('--ws-port <n>', 'also listen for WebSockets on this port (0 = any)')
    .option('--host <address>', 'address to listen on', '0.0.0.0')
    .option('--bootstrap <multiaddr...>', 'peers to dial at start (repeatable)')
    .option('--announce <multiaddr...>', 'addresses to announce instead of the listening ones')
    .option('--public', 'this node has a public address: relay for others')
    .option('--no-mdns', 'do not look for nodes on the local network')
    .option('--no-relay', 'do not reserve slots on relays (for nodes that are reachable directly)')
    .option('--control-port <n>', 'port of the local control endpoint on 127.0.0.1 (0 = any)', '0')
    .option('--api-port <n>', `port of the web app and owner API (0 = any)`, String(DEFAULT_API_PORT))
    .option('--api-host <address>', 'address the web app listens on; 0.0.0.0 opens it to the local network', '127.0.0.1')
    .action(
      action(async (_args, opts) => {
        // First, so a mistyped KITH_LOG_LEVEL is refused before anything is created.
        const log = createLogger({ env: process.env });
        const home = homePaths(opts.home as string | undefined);
        let created = false;
        if (!hasIdentity(home)) {
          KithNode.init(home.root).node.close();
          created = true;
        }
        const node = KithNode.open(home.root);
        const service = new KithService(node, { log });
        let network: Network | undefined;
        let control;
        let api: ApiServer | undefined;
        let lan: LanAdvertisement | undefined;
        try {
          api = await startApiServer(service, { port: port(opts.apiPort, '--api-port') ?? DEFAULT_API_PORT, host: String(opts.apiHost) });
          control = await startControl(service, { port: port(opts.controlPort, '--control-port') ?? 0, webUrl: api.publicUrl });
          network = await Network.start(node, {
            listenHost: String(opts.host),
            tcpPort: port(opts.port, '--port') ?? 0,
            ...(opts.wsPort !== undefined ? { wsPort: port(opts.wsPort, '--ws-port') } : {}),
            bootstrap: (opts.bootstrap as string[] | undefined) ?? [],
            ...(opts.announce ? { announce: opts.announce as string[] } : {}),
            mdns: opts.mdns !== false,
            publicRelay: opts.public === true,
            relayListen: opts.relay !== false && opts.public !== true,
            log,
          });
          service.attach(network);
          api.attach(network);
          const loopback = /^(127\.|::1$|localhost$)/.test(String(opts.apiHost));
          const server = api;
          const advertise = (on: boolean): void => {
            if (on && !lan) lan = advertiseWebApp({ name: `Kith ${node.fingerprint.slice(0, 8)}`, port: server.port, did: node.did });
            if (!on && lan) void lan.stop().catch(() => undefined);
            if (!on) lan = undefined;
          };
          if (opts.mdns !== false && !loopback) {
            advertise(service.settings().discoverable);
            service.onPreferences((p) => advertise(p.discoverable));
          }
        } catch (e) {
          await network?.stop();
          await control?.close();
          await api?.close();
          node.close();
          throw e;
        }
        const info = {
          ...identitySummary(node),
          peerId: network.peerId,
          addresses: network.addresses(),
          created,
          control: control.info.url,
          api: api.url,
          web: api.publicUrl,
          objects: node.store.objects.count(),
        };
        emit(opts, info, () => [
          created ? 'Created a new identity. See its recovery phrase with: kith phrase' : 'Kith node running.',
          `  DID          ${node.did}`,
          `  actor        ${node.actorId}`,
          `  fingerprint  ${node.fingerprint}`,
          `  peer id      ${info.peerId}`,
          ...info.addresses.map((a, i) => `  ${i === 0 ? 'listening   ' : '            '} ${a}`),
          `  home         ${node.home.root}`,
          `  objects      ${info.objects}, following ${node.following().length}`,
          `  control      ${control.info.url} (loopback only)`,
          `  web app      ${api.publicUrl}${api.publicUrl === api.url ? ' (this machine only; --api-host 0.0.0.0 opens it to your network)' : ''}`,
          `  pair         run "kith pair" to add a phone, tablet or browser`,
          'Press Ctrl+C to stop.',
        ]);
        await new Promise<void>((resolve) => {
          process.once('SIGINT', () => resolve());
          process.once('SIGTERM', () => resolve());
        });
        log.info('stopping…');
        await lan?.stop();
        await api.close();
        await control.close();
        await network.stop();
        node.close();
        if (!opts.json) process.stdout.write('Stopped.\n');
      }),
    );

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
              const peerId = existsSync(keyFile) ? peerIdFromPrivateKey(await loadOrCreateNodeKey(keyFile)).toString() : null;
              return { running: false, ...service.status(), peerId };
            });
        emit(opts, status, () => [
          status.running ? 'Node running.' : 'Node not running (start it with: kith start).',
          `  DID        ${status.did}`,
          `  peer id    ${status.peerId ?? '(none yet)'}`,
          ...status.addresses.map((a) => `  address    ${a}`),
          ...(status.running ? [`  peers      ${status.connections}`] : []),
          ...status.scopes.map((x) => `  keeps      ${x.objects} objects of ${x.scope}`),
          ...status.syncing.map((x) => `  syncing    ${x.scope}: ${x.received}/${x.needed}`),
          ...status.lastSyncs.slice(0, 5).map((x) => `  synced     ${when(x.lastOk)} ${x.scope.slice(5, 25)}… with ${x.peerId.slice(0, 12)}… (+${x.received})`),
        ]);
      }),
    );

  program
    .command('peers')
    .description('the peers the running node is connected to')
    .action(
      action(async (_args, opts) => {
        const running = await runningNode(homePaths(opts.home as string | undefined));
        if (!running) fail('not-found', 'the node is not running; start it with: kith start');
        const { peers } = await running.call('GET /peers');
        emit(opts, { peers }, () => (peers.length === 0 ? 'No peers connected.' : peers.map((p) => `${p.peerId}  ${p.direction.padEnd(8)} ${p.addresses.join(' ')}`)));
      }),
    );

  program
    .command('follow')
    .description("follow a person by DID, ap:// id, or their node's multiaddr, and fetch what they posted")
    .argument('<did|ap-id|multiaddr>')
    .action(
      action(async ([target = ''], opts: Opts) => {
        // A running node follows and fetches at once; otherwise the follow is stored and their posts arrive when it runs.
        const running = await runningNode(homePaths(opts.home as string | undefined));
        const r = running ? await running.call('POST /follow', { target }) : await withService(opts, (s) => s.people.follow(target));
        const from = r.synced.filter((s) => s.ok).length;
        emit(opts, { ok: true, ...r }, () => [
          `${r.added ? 'Following' : 'Already following'} ${r.did}`,
          !running
            ? '  their posts arrive when the node runs'
            : from > 0
              ? `  fetched ${r.received} new object(s) from ${from} peer(s)`
              : '  nobody holding their posts is reachable yet; the node keeps looking',
        ]);
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
    .description('the people you follow')
    .action(
      action((_args, opts) =>
        withService(opts, (service) => {
          const follows = service.people.following().map((f) => ({ ...f, objects: service.node.store.objects.count(f.scope) }));
          emit(opts, { following: follows }, () =>
            follows.length === 0 ? 'You follow nobody yet. Follow with: kith follow <did>' : follows.map((f) => `${f.did}  since ${when(f.since)}  ${f.objects} objects`),
          );
        }),
      ),
    );

  addPageCommand(program, 'feed', 'posts of the people you follow, newest first', (node, page) => node.feed(page), 'Your feed is empty. Follow people with: kith follow <did>');
}
