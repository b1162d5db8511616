import type { Command } from 'commander';
import { homePaths } from '../node/home.js';
import type { Interacted } from '../node/interactions.js';
import { emit } from './output.js';
import { action, withService } from './common.js';
import { runningNode } from './control-client.js';
import { textArgument } from './read-input.js';

/**
 * Likes, boosts, edits and deletes: `kith like <id>` and the rest. A running
 * node signs and pushes them live; otherwise the service signs them into the
 * store and followers get them at the next sync.
 */

type Simple = 'like' | 'unlike' | 'boost' | 'unboost' | 'delete';

const SIMPLE: readonly { name: Simple; description: string; done: string; again: string }[] = [
  { name: 'like', description: 'like a post', done: 'Liked', again: 'Already liked' },
  { name: 'unlike', description: 'take back your like of a post', done: 'Took back your like of', again: '' },
  { name: 'boost', description: "boost a post to your followers' timelines", done: 'Boosted', again: 'Already boosted' },
  { name: 'unboost', description: 'take back your boost of a post', done: 'Took back your boost of', again: '' },
  { name: 'delete', description: 'delete one of your posts, here and wherever it is held', done: 'Deleted', again: '' },
];

function lines(r: Interacted, done: string, again: string, running: boolean): string[] {
  return [
    `${r.status === 'duplicate' ? again : done} ${r.post}`,
    ...(r.status === 'duplicate'
      ? []
      : [`  activity ${r.id}`, running ? `  pushed live to ${r.pushedTo} peer(s)` : '  (node not running: followers get it at the next sync)']),
  ];
}

export function addInteractionCommands(program: Command): void {
  for (const c of SIMPLE) {
    program
      .command(c.name)
      .description(c.description)
      .argument('<ap-id>', "the post's ap:// id")
      .action(
        action(async ([id = ''], opts) => {
          const running = await runningNode(homePaths(opts.home as string | undefined));
          const r = running ? await running.call(`POST /${c.name}`, { id }) : await withService(opts, (s) => s.interactions[c.name](id));
          emit(opts, { ok: true, ...r }, () => lines(r, c.done, c.again, running !== undefined));
        }),
      );
  }

  program
    .command('edit')
    .description('edit one of your posts: a new version every node holding it shows')
    .argument('<ap-id>', "the post's ap:// id")
    .argument('<text>', 'the new text, or - to read it from standard input')
    .action(
      action(async ([id = '', given = ''], opts) => {
        const text = textArgument(given, 'the post');
        const running = await runningNode(homePaths(opts.home as string | undefined));
        const r = running ? await running.call('POST /edit', { id, text }) : await withService(opts, (s) => s.interactions.edit(id, text));
        emit(opts, { ok: true, ...r }, () => [...lines(r, 'Edited', '', running !== undefined), `  updated  ${r.updated}`]);
      }),
    );
}
