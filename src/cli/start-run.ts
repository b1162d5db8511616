import { fail, KithError } from '../core/errors.js';
import { reasonOf, type Logger } from '../core/log.js';
import { KithNode } from '../node/kith-node.js';
import { hasIdentity } from '../node/identity.js';
import { ensureHome, homePaths, type Home } from '../node/home.js';
import { lockHome } from '../node/home-lock.js';
import { Network } from '../node/network.js';
import { startControl, type ControlServer } from '../api/control.js';
import { startApiServer, type ApiServer } from '../api/api-server.js';
import { DEFAULT_API_PORT } from '../core/constants.js';
import { advertiseWebApp, type LanAdvertisement } from '../net/lan-advertise.js';
import { createLogger } from '../node/logger.js';
import { KithService } from '../node/service.js';
import { emit } from './output.js';
import { identitySummary, type Opts } from './common.js';
import { kithCommand } from './command-name.js';
import { chooseApiPort, requireFreePort } from './ports.js';
import { askDisplayName } from './read-input.js';

/** What `kith start` does: the node in the foreground, holding its home's lock for as long as it runs. */

function portOption(v: unknown, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) fail('malformed', `${name} must be a port number from 0 to 65535`);
  return n;
}

interface Ports {
  readonly tcp: number;
  readonly ws: number | undefined;
  readonly control: number;
  /** undefined: the default, or any free port when another node holds it. */
  readonly api: number | undefined;
}

function portsOf(opts: Opts): Ports {
  return {
    tcp: portOption(opts.port, '--port') ?? 0,
    ws: portOption(opts.wsPort, '--ws-port'),
    control: portOption(opts.controlPort, '--control-port') ?? 0,
    api: portOption(opts.apiPort, '--api-port'),
  };
}

/** Every port given on the command line, checked before an identity is created or anything listens. */
async function checkPorts(opts: Opts, ports: Ports): Promise<void> {
  await requireFreePort(String(opts.host), ports.tcp, '--port');
  if (ports.ws !== undefined) await requireFreePort(String(opts.host), ports.ws, '--ws-port');
  await requireFreePort('127.0.0.1', ports.control, '--control-port');
  if (ports.api !== undefined) await requireFreePort(String(opts.apiHost), ports.api, '--api-port');
}

/** A failure after this run created the identity says so: the identity stays, and how to see its phrase. */
function noteCreated(e: unknown, home: Home, opts: Opts, log: Logger): unknown {
  let did: string;
  try {
    const node = KithNode.open(home.root);
    did = node.did;
    node.close();
  } catch (inner) {
    log.warn(`could not read back the identity just created: ${reasonOf(inner)}`);
    return e;
  }
  const note = `Your new identity ${did} was created in ${home.root} and stays; see its recovery phrase with: ${kithCommand('phrase', opts.home as string | undefined)}`;
  if (e instanceof KithError) return new KithError(e.code, `${e.message}. ${note}`);
  return new Error(`${reasonOf(e)}. ${note}`);
}

interface Running {
  readonly node: KithNode;
  readonly network: Network;
  readonly control: ControlServer;
  readonly api: ApiServer;
  /** The default web app port that was taken, when the node gave way to a free one. */
  readonly apiGaveWay: number | undefined;
  stop(): Promise<void>;
}

async function run(home: Home, opts: Opts, ports: Ports, log: Logger): Promise<Running> {
  const node = KithNode.open(home.root, { log });
  const service = new KithService(node, { log });
  let network: Network | undefined;
  let control: ControlServer | undefined;
  let api: ApiServer | undefined;
  let lan: LanAdvertisement | undefined;
  const apiHost = String(opts.apiHost);
  try {
    const chosen = await chooseApiPort(apiHost, ports.api, DEFAULT_API_PORT);
    api = await startApiServer(service, { port: chosen.port, host: apiHost });
    control = await startControl(service, { port: ports.control, webUrl: api.publicUrl });
    network = await Network.start(node, {
      listenHost: String(opts.host),
      tcpPort: ports.tcp,
      ...(ports.ws !== undefined ? { wsPort: ports.ws } : {}),
      bootstrap: (opts.bootstrap as string[] | undefined) ?? [],
      ...(opts.announce ? { announce: opts.announce as string[] } : {}),
      mdns: opts.mdns !== false,
      publicRelay: opts.public === true,
      relayListen: opts.relay !== false && opts.public !== true,
      log,
    });
    service.attach(network);
    api.attach(network);
    const loopback = /^(127\.|::1$|localhost$)/.test(apiHost);
    const server = api;
    const advertise = (on: boolean): void => {
      if (on && !lan) lan = advertiseWebApp({ name: `Kith ${node.fingerprint.slice(0, 8)}`, port: server.port, did: node.did });
      if (!on && lan) void lan.stop().catch((e: unknown) => log.warn(`could not stop announcing the web app: ${reasonOf(e)}`));
      if (!on) lan = undefined;
    };
    if (opts.mdns !== false && !loopback) {
      advertise(service.settings().discoverable);
      service.onPreferences((p) => advertise(p.discoverable));
    }
    const [n, c, a] = [network, control, api];
    return {
      node,
      network: n,
      control: c,
      api: a,
      apiGaveWay: chosen.gaveWay,
      stop: async () => {
        await lan?.stop();
        await a.close();
        await c.close();
        await n.stop();
        node.close();
      },
    };
  } catch (e) {
    await network?.stop();
    await control?.close();
    await api?.close();
    node.close();
    throw e;
  }
}

function printStarted(opts: Opts, r: Running, created: boolean): void {
  const { node, network, control, api } = r;
  const home = opts.home as string | undefined;
  const info = {
    ...identitySummary(node),
    peerId: network.peerId,
    addresses: network.addresses(),
    created,
    control: control.info.url,
    api: api.url,
    web: api.publicUrl,
    ...(r.apiGaveWay !== undefined ? { apiPortTaken: r.apiGaveWay } : {}),
    objects: node.store.objects.count(),
  };
  const name = node.actor().name;
  emit(opts, info, () => [
    created ? `Created a new identity. See its recovery phrase with: ${kithCommand('phrase', home)}` : 'Kith node running.',
    ...(typeof name === 'string' ? [`  name         ${name}`] : []),
    `  DID          ${node.did}`,
    `  actor        ${node.actorId}`,
    `  fingerprint  ${node.fingerprint}`,
    `  peer id      ${info.peerId}`,
    ...info.addresses.map((a, i) => `  ${i === 0 ? 'listening   ' : '            '} ${a}`),
    `  home         ${node.home.root}`,
    `  objects      ${info.objects}, following ${node.following().length}`,
    `  control      ${control.info.url} (loopback only)`,
    `  web app      ${api.publicUrl}${api.publicUrl === api.url ? ' (this machine only; --api-host 0.0.0.0 opens it to your network)' : ''}`,
    ...(r.apiGaveWay !== undefined
      ? [`               (port ${r.apiGaveWay} is taken, by another node perhaps, so this one took ${api.port}; --api-port N picks one)`]
      : []),
    ...(typeof name === 'string' ? [] : [`  profile      no display name yet; set one with: ${kithCommand('profile --name "Your Name"', home)}`]),
    `  pair         add a phone, tablet or browser with: ${kithCommand('pair', home)}`,
    'Press Ctrl+C to stop.',
  ]);
}

/** Runs the node until SIGINT or SIGTERM, then stops it and releases the home. */
export async function runStart(opts: Opts): Promise<void> {
  // First, so a mistyped KITH_LOG_LEVEL is refused before anything is created.
  const log = createLogger({ env: process.env });
  const ports = portsOf(opts);
  const home = homePaths(opts.home as string | undefined);
  ensureHome(home);
  // Before control.json, the store or the network: a second start on this home stops here.
  const lock = lockHome(home);
  let created = false;
  let running: Running;
  try {
    await checkPorts(opts, ports);
    if (!hasIdentity(home)) {
      const name = await askDisplayName();
      KithNode.init(home.root, { profile: name === undefined ? {} : { name } }).node.close();
      created = true;
    }
    running = await run(home, opts, ports, log);
  } catch (e) {
    lock.release();
    throw created ? noteCreated(e, home, opts, log) : e;
  }
  if (running.apiGaveWay !== undefined) log.info(`port ${running.apiGaveWay} is taken; the web app listens on ${running.api.port} instead`);
  printStarted(opts, running, created);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  log.info('stopping…');
  try {
    await running.stop();
  } finally {
    lock.release();
  }
  if (!opts.json) process.stdout.write('Stopped.\n');
}
