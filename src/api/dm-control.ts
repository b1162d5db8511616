import type { Did, JsonObject } from '../core/types.js';
import { fail } from '../core/errors.js';
import type { KithService } from '../node/service.js';
import type { ConversationView, MessageSent, MessageView } from '../node/direct-messages.js';
import { optionalText, textField } from './request-fields.js';

/**
 * Direct messages (issue 14) as control routes: what `kith dm` and `kith dms`
 * call on the running node, or on the store when no node runs (the messages
 * then wait in the queue and go out when it runs).
 */
export interface DmRoutes {
  'GET /dms': { body: undefined; result: { conversations: ConversationView[]; unread: number } };
  /** `to`: did:keys of the people to write to; a new conversation. */
  'POST /dm/start': { body: { to: string[]; text: string }; result: MessageSent };
  'POST /dm/send': { body: { conversation: string; text: string; inReplyTo?: string }; result: MessageSent };
  /** `message`: the id of the message to answer, in its conversation. */
  'POST /dm/reply': { body: { message: string; text: string }; result: MessageSent };
  'POST /dm/read': { body: { conversation: string }; result: { conversation: ConversationView; messages: MessageView[] } };
  'POST /dm/remove': { body: { conversation: string; did: string }; result: { generation: number; participants: Did[] } };
}

type Handlers = {
  [K in keyof DmRoutes]: {
    read(body: JsonObject): DmRoutes[K]['body'];
    run(b: DmRoutes[K]['body']): DmRoutes[K]['result'] | Promise<DmRoutes[K]['result']>;
  };
};

export function dmHandlers(service: KithService): Handlers {
  const dms = service.dms;
  return {
    'GET /dms': { read: () => undefined, run: () => ({ conversations: dms.list(), unread: dms.unread() }) },
    'POST /dm/start': {
      read: (b) => {
        if (!Array.isArray(b.to) || !b.to.every((d) => typeof d === 'string')) fail('malformed', 'to must be a list of did:key texts');
        return { to: b.to as string[], text: textField(b, 'text') };
      },
      run: (b) => dms.start(b.to, b.text),
    },
    'POST /dm/send': {
      read: (b) => {
        const inReplyTo = optionalText(b, 'inReplyTo');
        return { conversation: textField(b, 'conversation'), text: textField(b, 'text'), ...(inReplyTo === undefined ? {} : { inReplyTo }) };
      },
      run: (b) => dms.send(b.conversation, b.text, b.inReplyTo),
    },
    'POST /dm/reply': { read: (b) => ({ message: textField(b, 'message'), text: textField(b, 'text') }), run: (b) => dms.reply(b.message, b.text) },
    'POST /dm/read': { read: (b) => ({ conversation: textField(b, 'conversation') }), run: (b) => dms.read(b.conversation) },
    'POST /dm/remove': {
      read: (b) => ({ conversation: textField(b, 'conversation'), did: textField(b, 'did') }),
      run: async (b) => {
        const r = await dms.remove(b.conversation, b.did);
        return { generation: r.generation, participants: r.participants };
      },
    },
  };
}
