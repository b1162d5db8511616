import type { Db } from './database.js';
import type { ApId, Did } from '../core/types.js';

/** A conversation as this node knows it, with its newest generation. */
export interface ConversationRow {
  readonly id: ApId;
  readonly creator: Did;
  readonly created: number;
  readonly updated: number;
  readonly readAt: number;
  readonly generation: number;
  readonly participants: Did[];
  /** Messages after readAt that others wrote and this node could open. */
  readonly unread: number;
}

export interface GenerationRow {
  readonly generation: number;
  readonly participants: Did[];
  readonly created: number;
  readonly keyObject: string | null;
}

export interface MessageRow {
  readonly n: number;
  readonly id: ApId;
  readonly conversation: ApId;
  readonly generation: number;
  readonly author: Did;
  readonly created: number;
  readonly received: number;
  readonly body: string;
  /** Null while it waits for its generation's key. */
  readonly content: string | null;
  readonly inReplyTo: string | null;
}

const CONVERSATION = `SELECT c.id, c.creator, c.created, c.updated, c.read_at AS readAt, g.generation, g.participants,
    (SELECT COUNT(*) FROM dm_messages m WHERE m.conversation = c.id AND m.content IS NOT NULL AND m.author <> @me AND m.created > c.read_at) AS unread
  FROM dm_conversations c JOIN dm_generations g ON g.conversation = c.id
  AND g.generation = (SELECT max(generation) FROM dm_generations WHERE conversation = c.id)`;
const MESSAGE = `SELECT n, id, conversation, generation, author, created, received, body, content, in_reply_to AS inReplyTo FROM dm_messages`;

function conversation(r: (Omit<ConversationRow, 'participants'> & { participants: string }) | undefined): ConversationRow | undefined {
  return r === undefined ? undefined : { ...r, participants: JSON.parse(r.participants) as Did[] };
}

/**
 * Direct messages (migration 16): conversations, the generations of their
 * keys, and messages, sealed until opened. No scope holds any of it.
 */
export class DirectMessageTable {
  private readonly stmts;

  constructor(private readonly db: Db) {
    this.stmts = {
      conversation: db.prepare(`${CONVERSATION} WHERE c.id = @id`),
      list: db.prepare(`${CONVERSATION} ORDER BY c.updated DESC, c.id LIMIT @limit`),
      addConversation: db.prepare('INSERT OR IGNORE INTO dm_conversations (id, creator, created, updated) VALUES (?, ?, ?, ?)'),
      touch: db.prepare('UPDATE dm_conversations SET updated = max(updated, ?) WHERE id = ?'),
      read: db.prepare('UPDATE dm_conversations SET read_at = max(read_at, ?) WHERE id = ?'),
      generation: db.prepare('SELECT generation, participants, created, key_object AS keyObject FROM dm_generations WHERE conversation = ? AND generation = ?'),
      newest: db.prepare('SELECT max(generation) FROM dm_generations WHERE conversation = ?').pluck(),
      addGeneration: db.prepare('INSERT INTO dm_generations (conversation, generation, participants, created, key_object) VALUES (?, ?, ?, ?, ?)'),
      message: db.prepare(`${MESSAGE} WHERE id = ?`),
      messages: db.prepare(`${MESSAGE} WHERE conversation = ? ORDER BY created, n LIMIT ?`),
      last: db.prepare(`${MESSAGE} WHERE conversation = ? AND content IS NOT NULL ORDER BY created DESC, n DESC LIMIT 1`),
      sealed: db.prepare(`${MESSAGE} WHERE conversation = ? AND generation = ? AND content IS NULL ORDER BY n`),
      sealedBy: db.prepare('SELECT COUNT(*) FROM dm_messages WHERE author = ? AND content IS NULL').pluck(),
      addMessage: db.prepare(
        'INSERT INTO dm_messages (id, conversation, generation, author, created, received, body, content, in_reply_to) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      open: db.prepare('UPDATE dm_messages SET content = ?, in_reply_to = ? WHERE n = ?'),
      drop: db.prepare('DELETE FROM dm_messages WHERE n = ?'),
      unread: db
        .prepare(
          'SELECT COUNT(*) FROM dm_messages m JOIN dm_conversations c ON c.id = m.conversation WHERE m.content IS NOT NULL AND m.author <> ? AND m.created > c.read_at',
        )
        .pluck(),
    };
  }

  conversation(id: string, me: Did): ConversationRow | undefined {
    return conversation(this.stmts.conversation.get({ id, me }) as never);
  }

  /** Conversations this node holds a generation of, the newest message first. */
  list(me: Did, limit: number): ConversationRow[] {
    return (this.stmts.list.all({ me, limit }) as never[]).map((r) => conversation(r)!);
  }

  generation(conversationId: string, generation: number): GenerationRow | undefined {
    const r = this.stmts.generation.get(conversationId, generation) as (Omit<GenerationRow, 'participants'> & { participants: string }) | undefined;
    return r === undefined ? undefined : { ...r, participants: JSON.parse(r.participants) as Did[] };
  }

  /** The newest generation held of a conversation; 0 when none. */
  newest(conversationId: string): number {
    return (this.stmts.newest.get(conversationId) as number | null) ?? 0;
  }

  /** Records a generation (and its conversation, the first time). */
  addGeneration(g: { conversation: ApId; creator: Did; generation: number; participants: readonly Did[]; created: number; keyObject: string | null }): void {
    this.db.transaction(() => {
      this.stmts.addConversation.run(g.conversation, g.creator, g.created, g.created);
      this.stmts.addGeneration.run(g.conversation, g.generation, JSON.stringify(g.participants), g.created, g.keyObject);
    })();
  }

  message(id: string): MessageRow | undefined {
    return this.stmts.message.get(id) as MessageRow | undefined;
  }

  messages(conversationId: string, limit: number): MessageRow[] {
    return this.stmts.messages.all(conversationId, limit) as MessageRow[];
  }

  /** The newest opened message of a conversation. */
  last(conversationId: string): MessageRow | undefined {
    return this.stmts.last.get(conversationId) as MessageRow | undefined;
  }

  /** Messages of a generation still waiting for its key. */
  sealed(conversationId: string, generation: number): MessageRow[] {
    return this.stmts.sealed.all(conversationId, generation) as MessageRow[];
  }

  sealedCountBy(author: Did): number {
    return this.stmts.sealedBy.get(author) as number;
  }

  addMessage(m: Omit<MessageRow, 'n'>): void {
    this.db.transaction(() => {
      this.stmts.addMessage.run(m.id, m.conversation, m.generation, m.author, m.created, m.received, m.body, m.content, m.inReplyTo);
      if (m.content !== null) this.stmts.touch.run(m.created, m.conversation);
    })();
  }

  opened(m: MessageRow, content: string, inReplyTo: string | null): void {
    this.db.transaction(() => {
      this.stmts.open.run(content, inReplyTo, m.n);
      this.stmts.touch.run(m.created, m.conversation);
    })();
  }

  drop(n: number): void {
    this.stmts.drop.run(n);
  }

  markRead(conversationId: string, upTo: number): void {
    this.stmts.read.run(upTo, conversationId);
  }

  /** Opened messages of others not read yet, over every conversation. */
  unread(me: Did): number {
    return this.stmts.unread.get(me) as number;
  }
}
