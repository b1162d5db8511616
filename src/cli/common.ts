import type { Command } from 'commander';
import { fail } from '../core/errors.js';
import { isDigest } from '../core/bytes.js';
import { isJsonObject, type Did, type Digest } from '../core/types.js';
import { KithNode, type OutboxItem } from '../node/kith-node.js';
import { KithService } from '../node/service.js';
import { summarize, type PostSummary } from '../node/interactions.js';
import type { Page } from '../store/objects.js';
import { hasIdentity } from '../node/identity.js';
import { homePaths } from '../node/home.js';
import { emit, report, when, type OutputOptions } from './output.js';
import { kithCommand } from './command-name.js';
import { personLabel, postText, withWarning } from './post-lines.js';

/** What every command shares: option handling, error reporting, opening the node, printing pages. */

export type Opts = OutputOptions & Record<string, unknown>;

/** Wraps an action so every failure is reported the same way, for people and scripts. */
export function action(fn: (args: string[], opts: Opts) => unknown) {
  return async (...args: unknown[]) => {
    const cmd = args.at(-1) as Command;
    const opts = { ...cmd.optsWithGlobals() } as Opts;
    try {
      await fn(args.slice(0, -2) as string[], opts);
    } catch (e) {
      report(opts, e);
    }
  };
}

export async function withNode<T>(opts: Opts, fn: (node: KithNode) => T | Promise<T>): Promise<T> {
  const home = homePaths(opts.home as string | undefined);
  if (!hasIdentity(home)) fail('not-found', `no identity in ${home.root}; create one with: ${kithCommand('init', opts.home as string | undefined)}`);
  const node = KithNode.open(home.root);
  try {
    return await fn(node);
  } finally {
    node.close();
  }
}

/** The application service over this home's store, for commands that run while no node does. */
export async function withService<T>(opts: Opts, fn: (service: KithService) => T | Promise<T>): Promise<T> {
  const service = KithService.open(opts.home as string | undefined);
  try {
    return await fn(service);
  } finally {
    service.close();
  }
}

export function identitySummary(node: KithNode) {
  return { did: node.did, actor: node.actorId, fingerprint: node.fingerprint, home: node.home.root };
}

export function parseCursor(s: string | undefined): { created: number; digest: Digest } | undefined {
  if (s === undefined) return undefined;
  const [created, digest] = s.split(':');
  if (!created || !/^\d+$/.test(created) || !isDigest(digest)) fail('malformed', '--before takes the "next" cursor an earlier page printed');
  return { created: Number(created), digest };
}

export function pageOptions(opts: Opts): Page {
  const limit = Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 500) fail('malformed', '--limit must be a whole number from 1 to 500');
  return { limit, before: parseCursor(opts.before as string | undefined) };
}

/** A command that lists a page of activities: `kith outbox`, `kith feed`. */
export function addPageCommand(
  program: Command,
  name: string,
  description: string,
  list: (node: KithNode, page: Page) => OutboxItem[],
  empty: (home: string | undefined) => string,
): void {
  program
    .command(name)
    .description(description)
    .option('--limit <n>', 'items per page', '20')
    .option('--before <cursor>', 'continue after the "next" cursor of a previous page')
    .option('--show-sensitive', 'show posts behind a content warning (otherwise only the warning is shown)')
    .action(
      action((_args, opts) =>
        withNode(opts, (node) => {
          const page = pageOptions(opts);
          const items = list(node, page).map((i) => {
            const post = summarize(node, i);
            return post ? { ...i, post } : i;
          });
          printPage(opts, items, page.limit, name, empty(opts.home as string | undefined), (did) => personLabel(node.store, did));
        }),
      ),
    );
}

/** Prints a page of activities, newest first, with the cursor for the next page. */
export function printPage(
  opts: Opts,
  items: (OutboxItem & { post?: PostSummary })[],
  limit: number,
  command: string,
  empty: string,
  label: (did: Did) => string,
): void {
  const last = items.at(-1);
  const next = items.length === limit && last ? `${last.created}:${last.digest}` : null;
  emit(opts, { items, next }, () => {
    if (items.length === 0) return empty;
    const lines = items.map((i) => {
      const show = opts.showSensitive === true;
      const p = i.post;
      const carried = isJsonObject(i.object.object) ? i.object.object : undefined;
      // An Update carries a post's new text: said so, lest it read as a post of its own.
      let text: string = i.type;
      if (p) text = p.text ? withWarning(p.text, p.warning, show) : '(a post not held here yet)';
      else if (carried && i.type === 'Create') text = postText(carried, show);
      else if (carried && i.type === 'Update') text = `Update: ${postText(carried, show)}`;
      const who = command === 'feed' ? `${label(i.owner)}  ` : '';
      const pad = ' '.repeat(22);
      const counts =
        p &&
        `\n${pad}${p.replies} repl${p.replies === 1 ? 'y' : 'ies'}, ${p.likes} like(s)${p.liked ? ' (you too)' : ''}, ${p.boosts} boost(s)${p.edited ? `, edited ${p.edited}` : ''}`;
      const boosted = p?.boostedBy ? 'boosted: ' : '';
      return `${when(i.created)}  ${who}${boosted}${text.replace(/\s+/g, ' ').slice(0, 72)}\n${pad}${p?.id ?? (carried?.id as string | undefined) ?? i.id}${counts ?? ''}`;
    });
    if (next) lines.push(`more: ${kithCommand(`${command} --before ${next}`, opts.home as string | undefined)}`);
    return lines;
  });
}
