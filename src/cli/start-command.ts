import type { Command } from 'commander';
import { DEFAULT_API_PORT } from '../core/constants.js';
import { action } from './common.js';

/**
 * `kith start`, declared here; what it runs (libp2p, the web server) is
 * loaded only when it runs, so every other command starts without it.
 */

export function addStartCommand(program: Command): void {
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
    .option('--api-port <n>', `port of the web app and owner API (default ${DEFAULT_API_PORT}, or any free one when another node has it; 0 = any)`)
    .option('--api-host <address>', 'address the web app listens on; 0.0.0.0 opens it to the local network', '127.0.0.1')
    .action(
      action(async (_args, opts) => {
        const { runStart } = await import('./start-run.js');
        await runStart(opts);
      }),
    );
}
