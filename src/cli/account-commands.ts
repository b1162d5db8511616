import type { Command } from 'commander';
import { fail } from '../core/errors.js';
import { forTerminal } from '../core/terminal-text.js';
import { homePaths } from '../node/home.js';
import { emit } from './output.js';
import { action, type Opts } from './common.js';
import { runningNode, type ControlClient } from './control-client.js';
import { kithCommand } from './command-name.js';

/** Accounts this node hosts for other people, and blocking other nodes' roots (their accounts muted). */

async function running(opts: Opts): Promise<ControlClient> {
  const node = await runningNode(homePaths(opts.home as string | undefined));
  if (!node) fail('conflict', `the node is not running; start it first with: ${kithCommand('start', opts.home as string | undefined)}`);
  return node;
}

export function addAccountCommands(program: Command): void {
  const account = program.command('account').description('accounts this node hosts for other people (a household on one phone, a friend without a node)');
  account
    .command('add')
    .description("show a code that pairs one person's own device as a new account; their device makes the key that is their identity")
    .argument('<name>', 'how the account is listed, and its first display name')
    .action(
      action(async ([name = ''], opts: Opts) => {
        const offer = await (await running(opts)).call('POST /accounts/add', { name });
        emit(opts, offer, () => [
          `Account code:  ${offer.code}`,
          '',
          `Their own device pairs with it: it makes their key, claims the code (POST /api/accounts/claim at ${new URL(offer.url).origin})`,
          'and signs the certificate that lets this node post for them (POST /api/accounts/pair). This node vouches for their key.',
          `The code works once, until ${offer.expires.slice(11, 16)} UTC.`,
        ]);
      }),
    );
  account
    .command('list', { isDefault: true })
    .description('list the accounts this node hosts')
    .action(
      action(async (_args, opts: Opts) => {
        const r = await (await running(opts)).call('GET /accounts');
        emit(opts, r, () =>
          r.accounts.length === 0
            ? `This node hosts no accounts. Add one with: ${kithCommand('account add <name>', opts.home as string | undefined)}`
            : r.accounts.map(
                (a) =>
                  `${a.did}  ${forTerminal(a.name).padEnd(24)} ${a.removed ? `removed ${a.removed.slice(0, 10)}` : `posting until ${a.publishExpires.slice(0, 10)}${a.renew ? ' (renewal asked)' : ''}`}`,
              ),
        );
      }),
    );
  account
    .command('remove')
    .description("stop hosting an account: this node's root revokes its certificate and its device is refused; the person keeps their key")
    .argument('<did>')
    .action(
      action(async ([did = ''], opts: Opts) => {
        const r = await (await running(opts)).call('POST /accounts/remove', { did });
        emit(opts, r, () => `Removed ${forTerminal(r.account.name)}; this node no longer vouches or posts for ${r.account.did}.`);
      }),
    );

  program
    .command('block-root')
    .description("block another node's root: every account it vouches for is muted (timeline, notifications, threads, search)")
    .argument('<did>', "the node owner's did:key")
    .action(
      action(async ([did = ''], opts: Opts) => {
        const r = await (await running(opts)).call('POST /block-root', { did });
        emit(opts, r, () =>
          r.added
            ? `Blocked the root ${r.did}; ${r.accounts} account(s) it vouches for are muted, and any more it vouches for will be.`
            : `${r.did} was already blocked.`,
        );
      }),
    );
  program
    .command('unblock-root')
    .description('unblock a node root: the accounts it vouches for show again at once')
    .argument('<did>')
    .action(
      action(async ([did = ''], opts: Opts) => {
        const r = await (await running(opts)).call('POST /unblock-root', { did });
        emit(opts, r, () => (r.removed ? `Unblocked the root ${r.did}; its accounts show again.` : `${r.did} was not blocked.`));
      }),
    );
  program
    .command('blocked-roots')
    .description('list the node roots blocked')
    .action(
      action(async (_args, opts: Opts) => {
        const r = await (await running(opts)).call('GET /blocked-roots');
        emit(opts, r, () =>
          r.roots.length === 0 ? 'No node roots are blocked.' : r.roots.map((b) => `${b.did}  since ${b.since.slice(0, 10)}, ${b.accounts} account(s) known`),
        );
      }),
    );
}
