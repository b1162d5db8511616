import type { Command } from 'commander';
import QRCode from 'qrcode';
import { fail } from '../core/errors.js';
import { homePaths } from '../node/home.js';
import { forTerminal } from '../core/terminal-text.js';
import { emit } from './output.js';
import { action, type Opts } from './common.js';
import { runningNode, type ControlClient } from './control-client.js';
import { kithCommand } from './command-name.js';

/** Pairing the owner's devices with the running node, listing and removing them. */

async function running(opts: Opts): Promise<ControlClient> {
  const node = await runningNode(homePaths(opts.home as string | undefined));
  if (!node) fail('conflict', `the node is not running; start it first with: ${kithCommand('start', opts.home as string | undefined)}`);
  return node;
}

export function addDeviceCommands(program: Command): void {
  program
    .command('pair')
    .description('show a code (and a QR code) that pairs a phone, tablet or browser with this node')
    .action(
      action(async (_args, opts: Opts) => {
        const offer = await (await running(opts)).call('POST /pair');
        // The QR code is terminal escape codes: only for a terminal, never for a file or a pipe.
        const qr =
          opts.json || !process.stdout.isTTY ? undefined : await QRCode.toString(offer.url, { type: 'terminal', small: true, errorCorrectionLevel: 'M' });
        emit(
          opts,
          { code: offer.code, url: offer.url, expires: offer.expires },
          () => [
            `Pairing code:  ${offer.code}`,
            '',
            `On the new device, open ${offer.url}`,
            ...(qr === undefined ? ['and enter the code if asked.', ''] : ['or scan this, then enter the code if asked:', qr]),
            `The code works once, until ${offer.expires.slice(11, 16)} UTC.`,
            ...(/^http:\/\/(127\.|\[::1\]|localhost)/.test(offer.url)
              ? [
                  `The web app listens on this machine only; to pair a phone or tablet, restart with: ${kithCommand('start --api-host 0.0.0.0', opts.home as string | undefined)}`,
                ]
              : []),
          ],
          { ownEscapes: true },
        );
      }),
    );

  const devices = program.command('devices').description('the devices paired with this node');
  devices
    .command('list', { isDefault: true })
    .description('list paired devices')
    .action(
      action(async (_args, opts: Opts) => {
        const r = await (await running(opts)).call('GET /devices');
        emit(opts, r, () =>
          r.devices.length === 0
            ? `No devices paired yet. Pair one with: ${kithCommand('pair', opts.home as string | undefined)}`
            : r.devices.map(
                (d) =>
                  `${d.id}  ${forTerminal(d.name).padEnd(24)} ${d.revoked ? `removed ${d.revoked.slice(0, 10)}` : `until ${d.expires.slice(0, 10)}, last seen ${d.lastSeen?.slice(0, 16).replace('T', ' ') ?? 'never'}`}`,
              ),
        );
      }),
    );
  devices
    .command('revoke')
    .description('remove a device: its certificate is revoked and it is refused at once')
    .argument('<id>')
    .option('--cut-off <time>', 'also void what the device signed from this time on, e.g. 2025-06-01T14:00:00Z for a phone stolen then (default: now)')
    .action(
      action(async ([id = ''], opts: Opts) => {
        const cutOff = opts.cutOff as string | undefined;
        const r = await (await running(opts)).call('POST /devices/revoke', { id, ...(cutOff === undefined ? {} : { cutOff }) });
        emit(opts, r, () => [
          `Removed ${forTerminal(r.device.name)} (${r.device.id}); it can no longer reach this node, and nothing new signed with its key is taken in.`,
          ...(cutOff === undefined ? [] : [`What it signed from ${cutOff} on is void.`]),
        ]);
      }),
    );
}
