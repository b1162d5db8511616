/**
 * The owner API's forum routes (./forum-routes.ts) as OpenAPI 3.1 paths,
 * merged into the document in ./openapi.ts.
 */
import { MAX_POST_CHARS } from '../core/constants.js';
import { FORUM } from '../core/forum-constants.js';

type Schema = Record<string, unknown>;

const str: Schema = { type: 'string' };
const bool: Schema = { type: 'boolean' };
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({ type: 'object', properties, required });
const list = (items: Schema): Schema => ({ type: 'array', items });
const json = (schema: Schema): Schema => ({ content: { 'application/json': { schema } } });
const errors = { '4XX': { description: 'Refused, with the reason', content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } } };
const forumParam = { name: 'did', in: 'path', required: true, schema: str, description: "The forum's did:key" };

const forum = obj({
  forum: str,
  id: str,
  name: str,
  owner: str,
  policy: { enum: ['open', 'approval', 'invitation'] },
  role: { enum: ['owner', 'member', 'pending', 'host'] },
});
const act = obj({ forum: str, act: str, kind: str, about: str });
const member = obj({ did: str, role: { enum: ['owner', 'co-owner', 'moderator', 'member'] }, expires: str, banned: bool }, ['did', 'role', 'banned']);
const post = obj({ id: str, author: str, text: str, published: str, inReplyTo: str }, ['id', 'author', 'text', 'published']);
const logged = obj({
  id: str,
  kind: str,
  about: str,
  by: str,
  published: str,
  document: { type: 'object', description: 'The signed act (check it with kith verify)' },
});
const didBody = obj({ did: str });
const report = obj(
  {
    id: str,
    forum: str,
    reporter: str,
    post: str,
    author: { type: ['string', 'null'] },
    text: { type: ['string', 'null'] },
    reason: str,
    reported: str,
    state: { enum: ['open', 'dismissed', 'acted', 'sent'] },
  },
  ['id', 'forum', 'reporter', 'post', 'author', 'text', 'reason', 'reported', 'state'],
);
const delivery = obj({ recipient: str, status: { enum: ['delivered', 'held', 'queued', 'failed'] } }, ['recipient', 'status']);
const roots = obj({ forum: str, only: { type: ['array', 'null'], items: str }, blocked: list(str), act }, ['forum', 'only', 'blocked']);

function op(summary: string, response: Schema, o: { body?: Schema; forum?: boolean } = {}): Schema {
  return {
    summary,
    ...(o.forum === false ? {} : { parameters: [forumParam] }),
    ...(o.body ? { requestBody: { required: true, ...json(o.body) } } : {}),
    responses: { '200': { description: 'Done', ...json(response) }, ...errors },
  };
}

export const FORUM_PATHS: Record<string, Schema> = {
  '/api/forums': {
    get: op('Forums this node owns, belongs to or hosts', obj({ forums: list(forum) }), { forum: false }),
    post: op('Create a forum owned by the owner (its root key stays on the node)', forum, {
      forum: false,
      body: obj({ name: { type: 'string', maxLength: FORUM.MAX_NAME_CHARS }, policy: { enum: ['open', 'approval', 'invitation'] } }, ['name']),
    }),
  },
  '/api/forums/{did}/join': {
    post: op(
      'Ask to join: open forums certify on arrival, others queue the request or take an invitation',
      obj({ forum: str, status: { enum: ['member', 'requested'] } }),
      {
        body: obj({ via: str, token: str }, []),
      },
    ),
  },
  '/api/forums/{did}/host': { post: op('Keep and serve a forum on this node', forum, { body: obj({ via: str }, []) }) },
  '/api/forums/{did}/posts': {
    get: op('The forum\u2019s posts, newest first, hidden ones left out', obj({ posts: list(post) })),
    post: op('Post in the forum, signed with the owner\u2019s key under their membership', obj({ id: str, forum: str }), {
      body: obj({ text: { type: 'string', maxLength: MAX_POST_CHARS }, inReplyTo: str }, ['text']),
    }),
  },
  '/api/forums/{did}/members': { get: op('Who holds a certificate of the forum now, with roles', obj({ members: list(member) })) },
  '/api/forums/{did}/invite': { post: op('A one-time invitation token (owner only)', obj({ forum: str, token: str, expires: str }), { body: obj({}, []) }) },
  '/api/forums/{did}/requests': { get: op('Join requests waiting for an answer', obj({ requests: list(obj({ did: str, requested: str })) })) },
  '/api/forums/{did}/approve': { post: op('Admit someone who asked to join', act, { body: didBody }) },
  '/api/forums/{did}/reject': { post: op('Turn a join request down', act, { body: didBody }) },
  '/api/forums/{did}/ban': { post: op('Ban a member: every node refuses their new posts', act, { body: didBody }) },
  '/api/forums/{did}/unban': { post: op('Lift a ban', act, { body: didBody }) },
  '/api/forums/{did}/hide': { post: op('Hide a post from every reader', act, { body: obj({ post: str }) }) },
  '/api/forums/{did}/moderators': { post: op('Certify a moderator (owner only)', act, { body: didBody }) },
  '/api/forums/{did}/moderators/remove': { post: op('Revoke a moderator: its later acts are void (owner only)', act, { body: didBody }) },
  '/api/forums/{did}/log': { get: op('Every moderation act, each a signed object', obj({ acts: list(logged) })) },
  '/api/forums/{did}/block-root': {
    post: op('Block a node root: every account it vouches for is refused in the forum (self-rooted people are not)', act, { body: didBody }),
  },
  '/api/forums/{did}/unblock-root': { post: op('Lift a node-root block: its accounts\u2019 new posts are taken again', act, { body: didBody }) },
  '/api/forums/{did}/reports': {
    get: op('Open reports of the forum\u2019s posts, newest first (owner and moderators only)', obj({ reports: list(report) })),
    post: op('Report a post to the forum\u2019s owner and moderators (members only; never public)', obj({ forum: str, id: str, deliveries: list(delivery) }), {
      body: obj({ post: str, reason: { type: 'string', maxLength: FORUM.MAX_REPORT_CHARS } }),
    }),
  },
  '/api/forums/{did}/reports/dismiss': { post: op('Dismiss an open report', obj({ report }), { body: obj({ id: str }) }) },
  '/api/forums/{did}/reports/act': {
    post: op('Act on an open report: hide the post or ban its author (a signed act in the log)', obj({ report, act }), {
      body: obj({ id: str, action: { enum: ['hide', 'ban'] } }),
    }),
  },
  '/api/forums/{did}/roots': {
    get: op('The node roots whose accounts alone the forum admits (null: any) and the roots it blocks', roots),
    put: op('Admit only accounts under these node roots ([] admits any; owner only); self-rooted people stay admitted', roots, {
      body: obj({ only: { ...list(str), maxItems: FORUM.ROOTS_LISTED } }),
    }),
  },
  // A hosted account's device (its session reaches /api/account/* only): the same forums, as the account.
  '/api/account/forums': {
    get: op(
      'Forums this node keeps, and whether the hosted account is a member of each',
      obj({ forums: list(obj({ forum: str, id: str, name: str, owner: str, policy: { enum: ['open', 'approval', 'invitation'] }, member: bool })) }),
      { forum: false },
    ),
  },
  '/api/account/forums/{did}/join': {
    post: op(
      'Ask to join as the hosted account: its Join, signed by the node\u2019s key for it, carries its publish certificate to the forum\u2019s node',
      obj({ forum: str, status: { enum: ['member', 'requested'] } }),
      { body: obj({ via: str, token: str }, []) },
    ),
  },
  '/api/account/forums/{did}/posts': {
    get: op('The forum\u2019s posts, newest first, as every reader sees them', obj({ posts: list(post) })),
    post: op(
      'Post (or reply) as the hosted account, signed by the node\u2019s key under its publish certificate; the account\u2019s papers go into the forum first',
      obj({ id: str, forum: str }),
      { body: obj({ text: { type: 'string', maxLength: MAX_POST_CHARS }, inReplyTo: str }, ['text']) },
    ),
  },
};
