import type { Schema, SchemaHelpers } from './openapi-accounts.js';

/** The owner API's routes for direct messages (issue 14), described for ./openapi.ts with its schema helpers. */
export function directMessagePaths({ op, obj, list, ref, ok, body, str, int, didParam }: SchemaHelpers): Record<string, Schema> {
  const nullableStr: Schema = { type: ['string', 'null'] };
  const message = obj({ id: str, conversation: str, author: ref('Person'), content: str, inReplyTo: nullableStr, published: str });
  const conversation = obj({
    id: str,
    creator: str,
    generation: { type: 'integer', description: 'The key generation: a new one starts each time someone is removed' },
    participants: list(ref('Person')),
    member: { type: 'boolean', description: 'Whether the owner is still in it (a removed person keeps what they had, and reads nothing new)' },
    updated: str,
    unread: int,
    last: { oneOf: [message, { type: 'null' }] },
  });
  const delivery = obj({ recipient: str, status: { type: 'string', enum: ['delivered', 'held', 'queued', 'failed'] } });
  const sent = obj({ message, deliveries: list(delivery) });
  const conversationParam = { name: 'conversation', in: 'path', required: true, schema: str, description: "The conversation's ap:// id, URL-encoded" };
  return {
    '/api/dms': {
      get: op({
        summary: 'Conversations of direct messages, the newest message first, and how many messages are unread',
        responses: ok('Conversations', obj({ conversations: list(conversation), unread: int })),
      }),
      post: op({
        summary: 'Start a conversation with named people and send its first message (end-to-end encrypted; delivered through their inboxes)',
        body: body(obj({ to: list(str), text: str }, ['to', 'text'])),
        responses: ok('Sent', sent, '201'),
      }),
    },
    '/api/dms/{conversation}': {
      get: op({
        summary: "A conversation's messages this node opened, oldest first (marks them read)",
        params: [conversationParam],
        responses: ok('Messages', obj({ conversation, messages: list(message) })),
      }),
    },
    '/api/dms/{conversation}/messages': {
      post: op({
        summary: 'Write to a conversation; inReplyTo names a message of it to answer',
        params: [conversationParam],
        body: body(obj({ text: str, inReplyTo: str }, ['text'])),
        responses: ok('Sent', sent, '201'),
      }),
    },
    '/api/dms/{conversation}/participants/{did}': {
      delete: op({
        summary: 'Remove someone from a conversation the owner started: a new key generation for the rest; what is written after, they cannot read',
        params: [conversationParam, didParam],
        responses: ok('Removed', obj({ generation: int, participants: list(ref('Person')) }, ['generation', 'participants'])),
      }),
    },
  };
}
