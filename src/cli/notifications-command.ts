import type { Command } from 'commander';
import { repliesTo, postOf } from '../node/reading.js';
import { newestVersion } from '../node/post-versions.js';
import type { JsonObject } from '../core/types.js';
import { personLabel } from './post-lines.js';
import { emit, when } from './output.js';
import { action, pageOptions, withService, type Opts } from './common.js';
import { kithCommand } from './command-name.js';

/**
 * `kith notifications`: replies to the owner, mentions of them, likes and
 * boosts of their posts, newest first, with who, what and when (for a like
 * or boost, the post it is about). It reads
 * the store, so it works whether the node runs or not. `--filtered` lists
 * those kept apart from strangers while the filterStrangers setting is on.
 */

const WHAT: Record<string, string> = {
  reply: 'replied',
  mention: 'mentioned you',
  like: 'liked your post',
  boost: 'boosted your post',
  follow: 'followed you',
  'follow-request': 'asks to follow you (kith approve or kith reject)',
};

export function addNotificationsCommand(program: Command): void {
  program
    .command('notifications')
    .description('replies to you, mentions of you, likes and boosts of your posts, follows, newest first')
    .option('--filtered', 'only those kept apart: from people you neither follow nor are followed by (setting filterStrangers)')
    .option('--limit <n>', 'items per page', '20')
    .option('--before <cursor>', 'continue after the "next" cursor of a previous page')
    .action(
      action((_args, opts: Opts) =>
        withService(opts, (service) => {
          const page = pageOptions(opts);
          const n = service.reading.notifications(page, { filtered: opts.filtered === true });
          const store = service.node.store;
          const items = n.items.map((i) => {
            // A reply or mention is the post itself; a like or boost is about the owner's post it names.
            const note = i.target === null ? postOf(i.object) : newestVersion(store, i.target)?.note;
            return {
              kind: i.kind,
              from: i.by.did,
              by: i.by,
              id: i.target ?? (note?.id as string | undefined) ?? i.object.id,
              activity: i.object.id,
              digest: i.object.digest,
              inReplyTo: note && i.target === null ? (repliesTo(note) ?? null) : null,
              text: textOf(note),
              created: i.object.created,
              at: new Date(i.object.created).toISOString(),
              unread: i.unread,
              filtered: i.filtered,
            };
          });
          const last = n.items.at(-1)?.object;
          const next = n.items.length === page.limit && last ? `${last.created}:${last.digest}` : null;
          const home = opts.home as string | undefined;
          emit(opts, { items, unread: n.unread, filtering: n.filtering, next }, () => {
            if (items.length === 0) {
              return opts.filtered === true
                ? n.filtering
                  ? 'Nothing filtered.'
                  : `Nothing is filtered: turn it on with ${kithCommand('settings set filterStrangers true', home)}`
                : 'No notifications yet. Replies, mentions, likes and boosts of your posts show up here.';
            }
            const lines = items.map(
              (i) =>
                `${when(i.created)}  ${i.unread ? '*' : ' '} ${personLabel(store, i.from)} ${WHAT[i.kind] ?? i.kind}${i.text ? `: ${i.text.replace(/\s+/g, ' ').slice(0, 60)}` : ''}\n${' '.repeat(24)}${i.kind.startsWith('follow') ? i.from : i.id}`,
            );
            if (n.unread > 0) lines.unshift(`${n.unread} unread`);
            if (next) lines.push(`more: ${kithCommand(`notifications${opts.filtered === true ? ' --filtered' : ''} --before ${next}`, home)}`);
            return lines;
          });
        }),
      ),
    );
}

function textOf(note: JsonObject | undefined): string | null {
  const source = note?.source;
  return source !== null && typeof source === 'object' && !Array.isArray(source) ? String(source.content) : null;
}
