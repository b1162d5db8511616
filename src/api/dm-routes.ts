import type { Hono } from 'hono';
import { fail } from '../core/errors.js';
import { isoOf } from '../core/statement.js';
import type { KithService } from '../node/service.js';
import type { ConversationView, MessageSent, MessageView } from '../node/direct-messages.js';
import type { AuthVariables } from './owner-auth.js';
import type { Views } from './owner-views.js';
import { jsonBody, pathParam } from './http-input.js';
import { optionalText, textField } from './request-fields.js';

/**
 * Owner API routes for direct messages (documented in ./openapi-direct-messages.ts):
 * conversations, a conversation's messages, writing, answering, removing a
 * participant. The rules are the service's (node/direct-messages.ts).
 */

export function dmMessageView(m: MessageView, views: Views) {
  return { id: m.id, conversation: m.conversation, author: views.person(m.author), content: m.content, inReplyTo: m.inReplyTo, published: isoOf(m.created) };
}

function conversationView(c: ConversationView, views: Views) {
  return {
    id: c.id,
    creator: c.creator,
    generation: c.generation,
    participants: c.participants.map((d) => views.person(d)),
    member: c.member,
    updated: isoOf(c.updated),
    unread: c.unread,
    last: c.last === undefined ? null : dmMessageView(c.last, views),
  };
}

function sentView(s: MessageSent, views: Views) {
  return { message: dmMessageView(s.message, views), deliveries: s.deliveries };
}

export function addDirectMessageRoutes(app: Hono<{ Variables: AuthVariables }>, service: KithService, views: () => Views): void {
  app.get('/api/dms', (c) => {
    const v = views();
    return c.json({ conversations: service.dms.list().map((x) => conversationView(x, v)), unread: service.dms.unread() });
  });
  app.post('/api/dms', async (c) => {
    const body = await jsonBody(c);
    const to = body.to;
    if (!Array.isArray(to) || !to.every((d) => typeof d === 'string')) fail('malformed', 'to must be a list of did:key texts');
    return c.json(sentView(await service.dms.start(to as string[], textField(body, 'text')), views()), 201);
  });
  app.get('/api/dms/:conversation', (c) => {
    const v = views();
    const r = service.dms.read(pathParam(c, 'conversation'));
    return c.json({ conversation: conversationView(r.conversation, v), messages: r.messages.map((m) => dmMessageView(m, v)) });
  });
  app.post('/api/dms/:conversation/messages', async (c) => {
    const body = await jsonBody(c);
    const sent = await service.dms.send(pathParam(c, 'conversation'), textField(body, 'text'), optionalText(body, 'inReplyTo'));
    return c.json(sentView(sent, views()), 201);
  });
  app.delete('/api/dms/:conversation/participants/:did', async (c) => {
    const r = await service.dms.remove(pathParam(c, 'conversation'), pathParam(c, 'did'));
    return c.json({ generation: r.generation, participants: r.participants.map((d) => views().person(d)) });
  });
}
