/**
 * The owner API, described as OpenAPI 3.1 and served at /api/openapi.json.
 * The API tests walk every operation listed here, so an endpoint added to
 * owner-api.ts without an entry here (or the other way round) shows up.
 */

import {
  MAX_ALT_TEXT_CHARS,
  MAX_API_HOSTS,
  MAX_CONTENT_WARNING_CHARS,
  MAX_PETNAME_CHARS,
  MAX_SEARCH_QUERY_CHARS,
  MAX_TRUSTED_PROXIES,
  SEARCH_DEFAULT_LIMIT,
  SEARCH_MAX_LIMIT,
} from '../core/constants.js';
import { accountPaths, accountSchema, type Op, type Schema } from './openapi-accounts.js';
import { followerKeyPaths } from './openapi-follower-keys.js';
import { directMessagePaths } from './openapi-direct-messages.js';

import { FORUM_PATHS } from './forum-openapi.js';

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` });
const str: Schema = { type: 'string' };
const nullableStr: Schema = { type: ['string', 'null'] };
const int: Schema = { type: 'integer' };
const bool: Schema = { type: 'boolean' };
const obj = (properties: Record<string, Schema>, required: string[] = Object.keys(properties)): Schema => ({ type: 'object', properties, required });
const list = (items: Schema): Schema => ({ type: 'array', items });
const page = (items: Schema): Schema => obj({ items: list(items), next: nullableStr });

const json = (schema: Schema): Schema => ({ content: { 'application/json': { schema } } });
const ok = (description: string, schema: Schema, status = '200'): Schema => ({ [status]: { description, ...json(schema) } });
const errors = { '4XX': { description: 'Refused, with the reason', ...json(ref('Error')) } };
const body = (schema: Schema): Schema => ({ required: true, ...json(schema) });

const pageParams = [
  { name: 'before', in: 'query', required: false, schema: str, description: 'The `next` value of the previous page' },
  { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 50, default: 20 } },
];
const idQuery = [{ name: 'id', in: 'query', required: true, schema: str, description: "The post's ap:// id" }];
const interacted = (description: string): Schema => ok(description, obj({ post: { oneOf: [ref('Post'), { type: 'null' }] }, activity: ref('Activity') }));
const didParam = { name: 'did', in: 'path', required: true, schema: str, description: 'A did:key' };

function op(o: Op): Schema {
  return {
    summary: o.summary,
    ...(o.public ? { security: [] } : {}),
    ...(o.params ? { parameters: o.params } : {}),
    ...(o.body ? { requestBody: o.body } : {}),
    responses: { ...o.responses, ...errors },
  };
}

const pairBody = obj({ code: str, name: str, publicKey: str, signature: str, bearer: bool }, ['code', 'name', 'publicKey', 'signature']);

export const OPENAPI = {
  openapi: '3.1.0',
  info: {
    title: 'Kith owner API',
    version: '1.0.0',
    description:
      "What the owner's devices use to run their home node. Every operation needs a paired device's credential (the HttpOnly `kith_session` cookie, or `Authorization: Bearer`), except pairing and logging in. " +
      'Device keys are Ed25519; `publicKey` is base64url of the 32 raw bytes and `signature` base64url of the Ed25519 signature of the UTF-8 message: ' +
      '`kith-pair\\n<code without dash>\\n<publicKey>` to pair, `kith-session\\n<nonce>\\n<publicKey>` to log in. Errors are `{"error": {"code", "message"}}`. ' +
      "Requests naming a host the node does not answer to (not loopback, an IP address, this machine's name or a name in the apiHosts setting) get 421 Misdirected Request. " +
      'Wrong pairing codes and login requests are counted per client address (behind a proxy in the trustedProxies setting, the address it forwards); too many get 429.',
  },
  servers: [{ url: '/' }],
  security: [{ session: [] }, { bearer: [] }],
  paths: {
    ...FORUM_PATHS,
    '/api/openapi.json': { get: op({ summary: 'This document', public: true, responses: ok('OpenAPI 3.1', { type: 'object' }) }) },
    '/api/pair': {
      post: op({
        summary: 'Pair a new device with a code from `kith pair` or a paired device',
        public: true,
        body: body(pairBody),
        responses: ok(
          'Paired; the session cookie is set (or the token returned with bearer: true)',
          obj({ device: ref('Device'), certificate: { type: 'object' }, token: str }, ['device', 'certificate']),
          '201',
        ),
      }),
    },
    '/api/session/challenge': {
      get: op({ summary: 'A nonce for a paired device to sign', public: true, responses: ok('Nonce', obj({ nonce: str, expires: str })) }),
    },
    '/api/session': {
      post: op({
        summary: 'Log a paired device in again',
        public: true,
        body: body(obj({ publicKey: str, nonce: str, signature: str, bearer: bool }, ['publicKey', 'nonce', 'signature'])),
        responses: ok('Logged in', obj({ device: ref('Device'), token: str }, ['device'])),
      }),
      delete: op({ summary: 'Log this device out (it stays paired)', responses: ok('Logged out', obj({ ok: bool })) }),
    },
    '/api/me': { get: op({ summary: 'The owner and this device', responses: ok('Me', obj({ did: str, actor: ref('Person'), device: ref('Device') })) }) },
    '/api/profile': {
      get: op({ summary: "The owner's profile", responses: ok('Profile', ref('Person')) }),
      put: op({
        summary: 'Change name, summary, avatar (icon) or header (image): a new signed actor version',
        body: body(
          obj({ name: str, summary: str, icon: { oneOf: [ref('Attachment'), { type: 'null' }] }, image: { oneOf: [ref('Attachment'), { type: 'null' }] } }, []),
        ),
        responses: ok('Profile', ref('Person')),
      }),
    },
    '/api/timeline': {
      get: op({ summary: 'Own posts and those of everyone followed, newest first', params: pageParams, responses: ok('A page', page(ref('Post'))) }),
    },
    ...followerKeyPaths({ op, obj, list, ref, page, ok, body, str, int, bool, didParam, pageParams }),
    ...directMessagePaths({ op, obj, list, ref, page, ok, body, str, int, bool, didParam, pageParams }),
    '/api/posts': {
      post: op({
        summary: 'Post (signed by the node for the owner); #hashtags and @did:key or @petname mentions in the text become tags and links',
        body: body(
          obj(
            {
              text: str,
              inReplyTo: str,
              attachment: list(ref('Attachment')),
              summary: { type: 'string', maxLength: MAX_CONTENT_WARNING_CHARS, description: 'A content warning; the post is then sensitive' },
              contentWarning: { type: 'string', maxLength: MAX_CONTENT_WARNING_CHARS, description: 'The same as summary, by the name people look for' },
              sensitive: bool,
              visibility: {
                type: 'string',
                enum: ['public', 'followers'],
                default: 'public',
                description: 'followers: sealed, readable only by approved followers (under the current epoch key); hosts keep ciphertext',
              },
            },
            ['text'],
          ),
        ),
        responses: ok('Posted', obj({ post: ref('Post') }), '201'),
      }),
      patch: op({
        summary: 'Edit one of your posts: an Update carrying its new version (same id, an `updated` time)',
        body: body(obj({ id: str, text: str })),
        responses: interacted('Edited'),
      }),
      delete: op({
        summary: 'Delete one of your posts: a Delete every node holding it honours (its content goes; a tombstone keeps it from coming back)',
        params: idQuery,
        responses: ok('Deleted', obj({ activity: ref('Activity') })),
      }),
    },
    '/api/likes': {
      post: op({
        summary: 'Like a post (a signed Like in the outbox); liking it again changes nothing',
        body: body(obj({ id: str })),
        responses: interacted('Liked'),
      }),
      delete: op({ summary: 'Take back your like of a post (an Undo); 404 if you have not liked it', params: idQuery, responses: interacted('Undone') }),
    },
    '/api/boosts': {
      post: op({
        summary: "Boost a post (an Announce) to your followers' timelines; boosting it again changes nothing",
        body: body(obj({ id: str })),
        responses: interacted('Boosted'),
      }),
      delete: op({ summary: 'Take back your boost of a post (an Undo); 404 if you have not boosted it', params: idQuery, responses: interacted('Undone') }),
    },
    '/api/outbox': {
      post: op({
        summary: 'FEP-ae97: post an activity signed on the device (eddsa-jcs-2022, by the owner key or a paired device key)',
        body: {
          required: true,
          content: { 'application/activity+json': { schema: { type: 'object' } }, 'application/ld+json': { schema: { type: 'object' } } },
        },
        responses: ok('Taken', obj({ id: str, digest: str, status: str }), '201'),
      }),
    },
    '/api/thread': {
      get: op({
        summary: 'A post with what it replies to and its replies',
        params: [{ name: 'id', in: 'query', required: true, schema: str }],
        responses: ok('Thread', obj({ ancestors: list(ref('Post')), post: ref('Post'), replies: list(ref('Post')) })),
      }),
    },
    '/api/media': {
      post: op({
        summary: 'Upload an image, video or audio file (up to 16 MiB) as encrypted ERIS blocks',
        params: [{ name: 'x-file-name', in: 'header', required: false, schema: str }],
        body: { required: true, content: { 'image/*': { schema: { type: 'string', format: 'binary' } } } },
        responses: ok('Stored', obj({ attachment: ref('Attachment') }), '201'),
      }),
    },
    '/api/media/fetch': {
      post: op({
        summary: 'Pin the content of an urn:eris read capability and fetch what is missing of it from peers',
        body: body(obj({ urn: str })),
        responses: ok('Fetched as far as peers had it', obj({ urn: str, complete: bool })),
      }),
    },
    '/api/media/{urn}': {
      get: op({
        summary: 'The decrypted content of an urn:eris read capability this node holds (404 when it does not: POST /api/media/fetch first)',
        params: [
          { name: 'urn', in: 'path', required: true, schema: str },
          { name: 'type', in: 'query', required: false, schema: str },
        ],
        responses: { '200': { description: 'The bytes', content: { '*/*': { schema: { type: 'string', format: 'binary' } } } } },
      }),
    },
    '/api/people/{did}': {
      get: op({
        summary: 'A person and their posts',
        params: [didParam, ...pageParams],
        responses: ok('Person', obj({ person: ref('Person'), items: list(ref('Post')), next: nullableStr })),
      }),
    },
    '/api/follows': {
      get: op({
        summary: 'Everyone followed, each with how the follow stands (followState: requested, accepted, or rejected by them and ended)',
        responses: ok('Following', obj({ following: list(ref('FollowedPerson')) })),
      }),
      post: op({
        summary: 'Follow someone by did:key, ap:// actor id or peer address; finds their node and syncs',
        body: body(obj({ target: str })),
        responses: ok('Following', obj({ person: ref('Person'), added: bool, received: int })),
      }),
    },
    '/api/search': {
      get: op({
        summary: "Search this node's store: posts by words and #hashtags (newest first), people by name, petname or DID",
        params: [
          { name: 'q', in: 'query', required: true, schema: { type: 'string', maxLength: MAX_SEARCH_QUERY_CHARS } },
          { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: SEARCH_MAX_LIMIT, default: SEARCH_DEFAULT_LIMIT } },
        ],
        responses: ok('Found', obj({ terms: list(str), people: list(ref('Person')), posts: list(ref('Post')) })),
      }),
    },
    '/api/petnames': {
      get: op({
        summary: 'The names the owner gave keys',
        responses: ok('Petnames', obj({ petnames: list(obj({ name: str, since: str, person: ref('Person') })) })),
      }),
    },
    '/api/petnames/{did}': {
      put: op({
        summary: 'Give a key a petname (unique: a name points at one key), or rename it',
        params: [didParam],
        body: body(obj({ name: { type: 'string', maxLength: MAX_PETNAME_CHARS } })),
        responses: ok('Named', obj({ name: str, previous: nullableStr, person: ref('Person') })),
      }),
      delete: op({ summary: 'Take a petname away', params: [didParam], responses: ok('Done', obj({ removed: bool, person: ref('Person') })) }),
    },
    '/api/follows/{did}': {
      delete: op({ summary: 'Unfollow (an Undo of the Follow goes to them)', params: [didParam], responses: ok('Done', obj({ removed: bool })) }),
    },
    '/api/followers': { get: op({ summary: 'People whose follow the owner accepted', responses: ok('Followers', obj({ followers: list(ref('Follower')) })) }) },
    '/api/followers/{did}': {
      delete: op({
        summary: 'Remove a follower: a Reject of their Follow ends it on their node',
        params: [didParam],
        responses: ok('Removed', ref('FollowAnswer')),
      }),
    },
    '/api/follow-requests': {
      get: op({
        summary: 'Requests to follow the owner waiting for an answer (the account is locked)',
        responses: ok('Requests', obj({ requests: list(ref('Follower')), locked: bool })),
      }),
    },
    '/api/follow-requests/{did}/approve': {
      post: op({ summary: 'Accept a request to follow the owner', params: [didParam], responses: ok('Accepted', ref('FollowAnswer')) }),
    },
    '/api/follow-requests/{did}/reject': {
      post: op({ summary: 'Reject a request to follow the owner', params: [didParam], responses: ok('Rejected', ref('FollowAnswer')) }),
    },
    '/api/notifications': {
      get: op({
        summary: 'Replies, mentions, likes and boosts of your posts, follows and follow requests, newest first',
        params: [
          ...pageParams,
          {
            name: 'filtered',
            in: 'query',
            required: false,
            schema: { enum: ['true', 'false'], default: 'false' },
            description: 'true: only those from people the owner neither follows nor is followed by, kept apart while the filterStrangers setting is on',
          },
        ],
        responses: ok(
          'A page',
          obj({
            items: list(ref('Notification')),
            unread: int,
            filtering: { ...bool, description: 'Whether the filterStrangers setting keeps strangers out of the main list' },
            next: nullableStr,
          }),
        ),
      }),
    },
    '/api/notifications/read': { post: op({ summary: 'Mark every notification read', body: body(obj({}, [])), responses: ok('Done', obj({ unread: int })) }) },
    '/api/blocks': {
      get: op({ summary: 'Blocked people', responses: ok('Blocked', obj({ blocked: list(ref('Person')) })) }),
      post: op({
        summary: 'Block someone: nothing of theirs is taken in or shown, and they are unfollowed',
        body: body(obj({ did: str })),
        responses: ok('Blocked', obj({ person: ref('Person') })),
      }),
    },
    '/api/blocks/{did}': { delete: op({ summary: 'Unblock', params: [didParam], responses: ok('Done', obj({ removed: bool })) }) },
    ...accountPaths({ op, obj, list, ref, page, ok, body, str, int, bool, didParam, pageParams }),
    '/api/devices': { get: op({ summary: 'Paired devices', responses: ok('Devices', obj({ devices: list(ref('Device')) })) }) },
    '/api/devices/pairing': {
      post: op({
        summary: 'A pairing code (and its link as a QR code) for a new device',
        body: body(obj({}, [])),
        responses: ok('Code', obj({ code: str, url: str, expires: str, qrSvg: str }), '201'),
      }),
    },
    '/api/devices/{id}': {
      delete: op({
        summary: 'Remove a device: its certificate is revoked and it is refused at once',
        params: [
          { name: 'id', in: 'path', required: true, schema: str },
          {
            name: 'cutOff',
            in: 'query',
            required: false,
            schema: str,
            description: 'An ISO 8601 time no later than now (default: now): what the device signed from then on is void too',
          },
        ],
        responses: ok('Removed', obj({ device: ref('Device') })),
      }),
    },
    '/api/peers': {
      get: op({
        summary: 'Connected peers, one entry per peer however many connections it has, named by the person whose node it is when known',
        responses: ok('Peers', obj({ peers: list(ref('Peer')) })),
      }),
    },
    '/api/status': {
      get: op({
        summary: 'Node status, with sync progress',
        responses: ok(
          'Status',
          obj({
            did: str,
            peerId: nullableStr,
            objects: int,
            connections: int,
            syncing: list(ref('SyncState')),
            storage: ref('Storage'),
            refused: list(obj({ code: str, count: int, lastReason: str, lastAt: int })),
          }),
        ),
      }),
    },
    '/api/storage': { get: op({ summary: 'Storage use', responses: ok('Storage', ref('Storage')) }) },
    '/api/settings': {
      get: op({ summary: "The owner's settings", responses: ok('Settings', ref('Settings')) }),
      patch: op({ summary: 'Change some settings', body: body(ref('Settings')), responses: ok('Settings', ref('Settings')) }),
    },
    '/api/events': {
      get: op({
        summary:
          'Live updates (server-sent events: post, post-changed, notification, sync, peers, forum: {forum} when a forum this node has a part in changed)',
        responses: { '200': { description: 'An event stream', content: { 'text/event-stream': { schema: str } } } },
      }),
    },
  },
  components: {
    securitySchemes: {
      session: { type: 'apiKey', in: 'cookie', name: 'kith_session' },
      bearer: { type: 'http', scheme: 'bearer' },
    },
    schemas: {
      Error: obj({ error: obj({ code: str, message: str }) }),
      Account: accountSchema({ obj, str, nullableStr }),
      Device: obj({ id: str, name: str, did: str, created: str, expires: str, lastSeen: nullableStr, current: bool, revoked: nullableStr }),
      Person: obj({
        did: str,
        id: str,
        name: nullableStr,
        summary: nullableStr,
        icon: nullableStr,
        image: { type: ['string', 'null'], description: 'The header image shown above their profile' },
        petname: { type: ['string', 'null'], description: 'The name the owner gave them; `name` is the one they chose' },
        following: bool,
        blocked: bool,
        me: bool,
        found: {
          type: 'boolean',
          description: 'Whether this node holds anything of theirs (actor document or posts); false for a key nobody has answered for yet',
        },
        hostedBy: {
          type: ['string', 'null'],
          description: 'The node root (a did:key) that vouches for them as an account it hosts; null when they are self-rooted. See /api/blocked-roots',
        },
      }),
      FollowedPerson: {
        allOf: [ref('Person'), obj({ followState: { type: 'string', enum: ['requested', 'accepted', 'rejected'] }, followStateAt: nullableStr })],
      },
      Follower: obj({ person: ref('Person'), since: str }),
      FollowAnswer: obj({ person: ref('Person'), state: { type: 'string', enum: ['accepted', 'rejected'] }, activity: str }),
      Attachment: obj(
        {
          type: str,
          mediaType: str,
          url: str,
          size: int,
          name: { type: 'string', maxLength: MAX_ALT_TEXT_CHARS, description: 'The description of an image (its alt text)' },
          digestMultibase: str,
          src: str,
        },
        ['mediaType', 'url', 'size'],
      ),
      Post: obj({
        id: str,
        digest: str,
        activity: str,
        author: ref('Person'),
        published: str,
        publishedClaim: {
          type: ['string', 'null'],
          description: "The author's own time when it lay in the future as the post arrived; `published` is then the time it arrived",
        },
        text: str,
        inReplyTo: nullableStr,
        inReplyToAuthor: { oneOf: [ref('Person'), { type: 'null' }] },
        attachment: list(ref('Attachment')),
        summary: { type: ['string', 'null'], description: 'The content warning: show it, and the post only when the reader asks' },
        sensitive: bool,
        hashtags: { ...list(str), description: 'Hashtags, lower-cased, without #' },
        mentions: list(obj({ handle: nullableStr, did: str })),
        replies: int,
        likes: int,
        boosts: int,
        liked: bool,
        boosted: bool,
        edited: { type: ['string', 'null'], description: 'When the version shown was made, for a post its author edited' },
        boostedBy: { oneOf: [ref('Person'), { type: 'null' }], description: 'Shown because this person boosted it' },
        missing: { type: 'boolean', description: 'A boost of a post this node does not hold yet: only id and author are known' },
        mine: bool,
        followersOnly: { type: 'boolean', description: "Sealed for its author's approved followers, and opened by this node (which holds the epoch key)" },
        sealedIn: {
          type: ['string', 'null'],
          description: 'For a followers-only post, the id of its envelope, which a Delete of it (and its post-changed event) names',
        },
      }),
      Activity: obj(
        {
          id: str,
          digest: str,
          status: { enum: ['stored', 'duplicate'] },
          post: str,
          concerns: { type: ['string', 'null'], description: 'The DID of the post author it concerns (null for your own post)' },
          pushedTo: int,
          updated: str,
        },
        ['id', 'digest', 'status', 'post', 'concerns', 'pushedTo'],
      ),
      Quote: obj({ id: str, author: ref('Person'), published: str, text: str, attachments: int }),
      Notification: obj({
        id: { ...str, description: 'The activity it tells of (the reply, mention, Like, Announce or Follow)' },
        kind: {
          type: 'string',
          description: 'reply, mention, like, boost, follow or follow-request (more may come); a client shows a kind it does not know by its name',
        },
        by: ref('Person'),
        post: { oneOf: [ref('Post'), { type: 'null' }], description: 'The reply or the post that mentions you; null for a like, a boost or a follow' },
        at: str,
        unread: bool,
        quote: {
          oneOf: [ref('Quote'), { type: 'null' }],
          description: 'For a reply, the start of the post it answers; for a like or boost, the start of your post it is about',
        },
        filtered: { ...bool, description: 'From a stranger, while the owner filters those' },
      }),
      Peer: obj({
        peerId: str,
        person: { oneOf: [ref('Person'), { type: 'null' }] },
        connections: int,
        direction: { enum: ['inbound', 'outbound', 'both'] },
        addresses: list(str),
        streams: int,
      }),
      SyncState: obj({ active: bool, scope: str, peer: str, phase: str, received: int, needed: int }),
      Storage: obj({ objects: int, databaseBytes: int, blocks: obj({ blocks: int, bytes: int, pinnedBytes: int, quotaBytes: int }) }),
      Settings: obj(
        {
          keepFollowedMedia: bool,
          deviceLifetimeDays: { type: 'integer', minimum: 1, maximum: 730 },
          discoverable: bool,
          apiHosts: { ...list(str), maxItems: MAX_API_HOSTS, description: "Host names the web app also answers to (a home DNS name, a reverse proxy's name)" },
          trustedProxies: {
            ...list(str),
            maxItems: MAX_TRUSTED_PROXIES,
            description: 'IP addresses of reverse proxies whose X-Forwarded-For and X-Forwarded-Proto are believed',
          },
          filterStrangers: { ...bool, description: 'Keep notifications from people the owner neither follows nor is followed by apart (filtered, not lost)' },
          locked: { ...bool, description: 'Requests to follow the owner wait for approval; unlocked, every Follow is accepted at once' },
        },
        [],
      ),
    },
  },
} as const;
