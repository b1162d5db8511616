import type { Command } from 'commander';
import { fail } from '../core/errors.js';
import { SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT } from '../core/constants.js';
import { parseBody } from '../store/objects.js';
import { emit, when } from './output.js';
import { action, withService, type Opts } from './common.js';
import { kithCommand } from './command-name.js';
import { noteOf, personLabel, postText } from './post-lines.js';

/**
 * `kith search` and the petname commands. Both work on the store directly:
 * a search only reads, and a petname is the owner's alone (nothing is signed
 * or sent), so a running node need not be asked.
 */

function limitOption(opts: Opts): number {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > SEARCH_MAX_LIMIT) fail('malformed', `--limit must be a whole number from 1 to ${SEARCH_MAX_LIMIT}`);
  return limit;
}

export function addContentCommands(program: Command): void {
  program
    .command('search')
    .description('search what this node holds: posts by words and #hashtags, people by name, petname or DID')
    .argument('<words...>', 'words, #hashtags, a name or a did:key (all words must match)')
    .option('--limit <n>', 'posts and people to show, each', String(SEARCH_DEFAULT_LIMIT))
    .option('--show-sensitive', 'show posts behind a content warning (otherwise only the warning is shown)')
    .action(
      action((args, opts) =>
        withService(opts, (service) => {
          const words = (args[0] as unknown as string[]).join(' ');
          const r = service.search.search(words, { limit: limitOption(opts) });
          const store = service.node.store;
          const people = r.people.map((did) => ({ did, petname: store.petnames.get(did)?.name ?? null, label: personLabel(store, did) }));
          const posts = r.posts.map((o) => ({ id: noteOf(parseBody(o))?.id ?? o.id, owner: o.owner, created: o.created, object: parseBody(o) }));
          emit(opts, { terms: r.terms, people, posts }, () => {
            if (people.length === 0 && posts.length === 0) {
              return `Nothing here matches ${r.terms.join(' ')}. Search finds only what this node holds: follow people to have their posts.`;
            }
            const lines: string[] = [];
            if (people.length > 0) lines.push('People', ...people.map((p) => `  ${p.label}  ${p.did}`));
            if (posts.length > 0) {
              lines.push('Posts');
              for (const p of posts) {
                const note = noteOf(p.object) ?? p.object;
                const text = postText(note, opts.showSensitive === true)
                  .replace(/\s+/g, ' ')
                  .slice(0, 72);
                lines.push(`  ${when(p.created)}  ${personLabel(store, p.owner)}  ${text}`, `  ${' '.repeat(22)}${String(p.id)}`);
              }
            }
            return lines;
          });
        }),
      ),
    );

  program
    .command('petname')
    .description('give someone a name of your own, shown instead of their key (only you see it)')
    .argument('<did>', 'their did:key (or an ap:// id of theirs)')
    .argument('[name]', 'the name; one line, unique among your petnames')
    .option('--remove', 'take the petname away')
    .action(
      action(([did = '', name], opts) =>
        withService(opts, (service) => {
          if (opts.remove === true) {
            if (name !== undefined) fail('malformed', 'give either a name or --remove, not both');
            const r = service.petnames.remove(did);
            emit(opts, { ok: true, ...r }, () => (r.removed ? `${r.did} has no petname now.` : `${r.did} had no petname.`));
            return;
          }
          if (name === undefined)
            fail(
              'malformed',
              `name them: ${kithCommand(`petname ${did.slice(0, 60)} "Name"`, opts.home as string | undefined)}, or take a petname away with --remove`,
            );
          const r = service.petnames.set(did, name);
          emit(opts, { ok: true, ...r }, () =>
            r.previous === null ? `${r.did} is "${r.name}" to you now.` : `${r.did} is "${r.name}" to you now (was "${r.previous}").`,
          );
        }),
      ),
    );

  program
    .command('petnames')
    .description('list the names you gave people')
    .action(
      action((_args, opts) =>
        withService(opts, (service) => {
          const list = service.petnames.list();
          emit(opts, { petnames: list }, () =>
            list.length === 0
              ? `You have given nobody a petname. Give one with: ${kithCommand('petname <did> "Name"', opts.home as string | undefined)}`
              : list.map((p) => `${p.name.padEnd(24)}  ${p.did}`),
          );
        }),
      ),
    );
}
