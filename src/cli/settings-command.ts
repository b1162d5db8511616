import type { Command } from 'commander';
import { homePaths } from '../node/home.js';
import { preferenceFromText, type Preferences } from '../node/preferences.js';
import { emit } from './output.js';
import { action, withService, type Opts } from './common.js';
import { runningNode } from './control-client.js';

/**
 * `kith settings`: the owner's settings, as Settings in the web app shows
 * them; `kith settings set KEY VALUE…` changes one (through a running node,
 * which applies it at once). Some can only be set from here: a name the web
 * app is reached by must be allowed before a browser can use it.
 */

function lines(p: Preferences): string[] {
  return Object.entries(p).map(([k, v]) => `${k.padEnd(18)} ${Array.isArray(v) ? (v.length === 0 ? '(none)' : v.join(', ')) : String(v)}`);
}

export function addSettingsCommand(program: Command): void {
  const settings = program.command('settings').description("show or change the owner's settings");
  settings
    .command('show', { isDefault: true })
    .description('show every setting')
    .action(
      action(async (_args, opts: Opts) => {
        const running = await runningNode(homePaths(opts.home as string | undefined));
        const p = running ? await running.call('GET /settings') : await withService(opts, (s) => s.settings());
        emit(opts, p, () => lines(p));
      }),
    );
  settings
    .command('set')
    .description('change one setting: true/false, a number, or for a list its entries (none empties it), e.g. set apiHosts kith.home pi.local')
    .argument('<key>')
    .argument('[values...]')
    .action(
      action(async ([key = '', values = []], opts: Opts) => {
        const patch = preferenceFromText(key, values as unknown as string[]);
        const running = await runningNode(homePaths(opts.home as string | undefined));
        const p = running ? await running.call('POST /settings', patch) : await withService(opts, (s) => s.updateSettings(patch));
        emit(opts, p, () => [`Saved${running ? ' and applied' : ''}.`, ...lines(p)]);
      }),
    );
}
