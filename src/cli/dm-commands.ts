import type { Command } from 'commander';
import { homePaths } from '../node/home.js';
import type { JsonObject } from '../core/types.js';
import { fail } from '../core/errors.js';
import { dmHandlers, type DmRoutes } from '../api/dm-control.js';
import type { MessageSent, MessageView } from '../node/direct-messages.js';
import { emit, when } from './output.js';
import { action, withService, type Opts } from './common.js';
import { runningNode } from './control-client.js';

/**
 * `kith dm <did>… "text"`, `kith dm --to <conversation> "text"`,
 * `kith dm --reply-to <message> "text"`, `kith dm read <conversation>`,
 * `kith dm remove <conversation> <did>`, `kith dms`: direct messages, end to
 * end encrypted (node/direct-messages.ts). Through the running node, or on
 * the store when none runs (what is sent then goes out when it runs).
 */

async function call<K extends keyof DmRoutes>(opts: Opts, route: K, body: JsonObject): Promise<DmRoutes[K]['result']> {
  const running = await runningNode(homePaths(opts.home as string | undefined));
  if (running) return (running.call as (r: K, b: JsonObject) => Promise<DmRoutes[K]['result']>)(route, route.startsWith('GET ') ? (undefined as never) : body);
  return withService(opts, (s) => {
    const h = dmHandlers(s)[route];
    return h.run(h.read(body) as never) as DmRoutes[K]['result'];
  });
}

function sentLines(r: MessageSent): string[] {
  const counts = new Map<string, number>();
  for (const d of r.deliveries) counts.set(d.status, (counts.get(d.status) ?? 0) + 1);
  return [
    `Sent ${r.message.id}`,
    `  conversation ${r.message.conversation}`,
    `  ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ') || 'no one else is in it'}`,
  ];
}

function messageLines(m: MessageView): string[] {
  return [`${when(m.created)}  ${m.author}${m.inReplyTo ? ` (reply to ${m.inReplyTo})` : ''}`, `  ${m.content}`, `  id ${m.id}`];
}

export function addDmCommands(program: Command): void {
  program
    .command('dm')
    .description(
      'direct messages, end-to-end encrypted: dm <did>… "text" | dm --to <conversation> "text" | dm read <conversation> | dm remove <conversation> <did>',
    )
    .argument('<words...>')
    .option('--to <conversation>', 'write to a conversation you are in')
    .option('--reply-to <message>', 'answer a message, in its conversation')
    .action(
      action(async (args, opts: Opts) => {
        // One variadic argument: commander hands it over as a list.
        const words = (args[0] as unknown as string[] | undefined) ?? [];
        const [first, ...rest] = words;
        if (first === 'read' && words.length === 2) {
          const r = await call(opts, 'POST /dm/read', { conversation: rest[0]! });
          emit(opts, r, () => [
            `Conversation ${r.conversation.id} (generation ${r.conversation.generation}${r.conversation.member ? '' : ', you were removed'})`,
            `  with ${r.conversation.participants.join(', ')}`,
            ...(r.messages.length === 0 ? ['  No messages opened yet.'] : r.messages.flatMap(messageLines)),
          ]);
          return;
        }
        if (first === 'remove' && words.length === 3) {
          const r = await call(opts, 'POST /dm/remove', { conversation: rest[0]!, did: rest[1]! });
          emit(opts, r, () => [`Removed ${rest[1]}: generation ${r.generation} goes to ${r.participants.length - 1} other(s) only`]);
          return;
        }
        const text = words.at(-1) ?? '';
        const people = words.slice(0, -1);
        let r: MessageSent;
        if (opts.replyTo !== undefined) {
          if (people.length > 0 || opts.to !== undefined) fail('malformed', 'with --reply-to, give only the text');
          r = await call(opts, 'POST /dm/reply', { message: String(opts.replyTo), text });
        } else if (opts.to !== undefined) {
          if (people.length > 0) fail('malformed', 'with --to, give only the text');
          r = await call(opts, 'POST /dm/send', { conversation: String(opts.to), text });
        } else {
          if (people.length === 0) fail('malformed', 'name at least one person: kith dm <did>… "text"');
          r = await call(opts, 'POST /dm/start', { to: people, text });
        }
        emit(opts, r, () => sentLines(r));
      }),
    );

  program
    .command('dms')
    .description('your conversations of direct messages, the newest first')
    .action(
      action(async (_args, opts: Opts) => {
        const r = await call(opts, 'GET /dms', {});
        emit(opts, r, () =>
          r.conversations.length === 0
            ? ['No conversations yet. Start one: kith dm <did> "text"']
            : r.conversations.map(
                (c) =>
                  `${c.id}  ${c.participants.length} people${c.unread > 0 ? `, ${c.unread} unread` : ''}${c.member ? '' : ' (removed)'}\n  ${c.last ? `${when(c.last.created)} ${c.last.content.slice(0, 80)}` : '(nothing opened yet)'}`,
              ),
        );
      }),
    );
}
