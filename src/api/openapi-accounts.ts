/**
 * The owner API's routes for hosted accounts and node-root blocks, described
 * for ./openapi.ts (which passes in its schema helpers, so both build the
 * document the same way).
 */

export type Schema = Record<string, unknown>;

export interface Op {
  summary: string;
  public?: boolean;
  params?: Schema[];
  body?: Schema;
  responses: Schema;
}

export interface SchemaHelpers {
  readonly op: (o: Op) => Schema;
  readonly obj: (properties: Record<string, Schema>, required?: string[]) => Schema;
  readonly list: (items: Schema) => Schema;
  readonly ref: (name: string) => Schema;
  readonly page: (items: Schema) => Schema;
  readonly ok: (description: string, schema: Schema, status?: string) => Schema;
  readonly body: (schema: Schema) => Schema;
  readonly str: Schema;
  readonly int: Schema;
  readonly bool: Schema;
  readonly didParam: Schema;
  readonly pageParams: Schema[];
}

export function accountSchema({ obj, str, nullableStr }: { obj: SchemaHelpers['obj']; str: Schema; nullableStr: Schema }): Schema {
  return obj({
    did: str,
    name: str,
    root: { type: 'string', description: "The node root that vouches for the account: this node's owner" },
    delegate: { type: 'string', description: 'The key this node posts for the account with' },
    publishExpires: str,
    renew: { type: 'boolean', description: "The account's device should sign a new publish certificate" },
    revoked: { type: 'boolean', description: "The account revoked the node's publish certificate: the node can post for it no more" },
    removed: nullableStr,
  });
}

export function accountPaths({ op, obj, list, ref, page, ok, body, str, int, bool, didParam, pageParams }: SchemaHelpers): Record<string, Schema> {
  return {
    '/api/accounts': {
      get: op({ summary: 'Accounts this node hosts for other people', responses: ok('Accounts', obj({ accounts: list(ref('Account')) })) }),
      post: op({
        summary: "A code that pairs one person's device as a new hosted account (its key becomes the account's identity)",
        body: body(obj({ name: str })),
        responses: ok(
          'Code, the link that opens the web app with it, and that link as a QR code',
          obj({ code: str, url: str, expires: str, qrSvg: str }),
          '201',
        ),
      }),
    },
    '/api/accounts/{did}': {
      delete: op({
        summary: "Stop hosting an account: this node's root revokes its account certificate and its device is refused",
        params: [didParam],
        responses: ok('Removed', obj({ account: ref('Account') })),
      }),
    },
    '/api/accounts/claim': {
      post: op({
        summary: "A hosted person's device claims an account code with its key and learns the publish certificate to sign",
        public: true,
        body: body(obj({ code: str, publicKey: str, signature: str })),
        responses: ok('Terms', obj({ account: str, delegate: str, capability: list(str), resource: str, expires: str })),
      }),
    },
    '/api/accounts/pair': {
      post: op({
        summary: "Finish pairing a hosted account with the publish certificate its device signed for the node's key",
        public: true,
        body: body(
          obj({ code: str, publicKey: str, signature: str, certificate: { type: 'object' }, bearer: bool }, ['code', 'publicKey', 'signature', 'certificate']),
        ),
        responses: ok(
          'Paired; the session cookie is set (or the token returned with bearer: true)',
          obj({ account: ref('Account'), device: ref('Device'), token: str }, ['account', 'device']),
          '201',
        ),
      }),
    },
    '/api/account': {
      get: op({
        summary: "A hosted account's own state (its device only); `renew` asks it to sign a new publish certificate",
        responses: ok('Account', obj({ account: ref('Account'), device: ref('Device') })),
      }),
    },
    '/api/account/posts': {
      get: op({ summary: "The hosted account's own posts", params: pageParams, responses: ok('Posts', page(ref('Post'))) }),
      post: op({
        summary: "Post as the hosted account (signed by the node's key under the account's publish certificate)",
        body: body(obj({ text: str, inReplyTo: str, summary: str, sensitive: bool }, ['text'])),
        responses: ok('Posted', obj({ post: ref('Post') }), '201'),
      }),
    },
    '/api/account/timeline': {
      get: op({
        summary: "The hosted account's home timeline: its posts and those of everyone it follows",
        params: pageParams,
        responses: ok('Posts', page(ref('Post'))),
      }),
    },
    '/api/account/follows': {
      get: op({ summary: 'Whom the hosted account follows', responses: ok('Follows', obj({ follows: list(str) })) }),
      post: op({ summary: 'The hosted account follows someone', body: body(obj({ target: str })), responses: ok('Followed', obj({ did: str, added: bool })) }),
    },
    '/api/account/follows/{did}': {
      delete: op({ summary: 'The hosted account stops following someone', params: [didParam], responses: ok('Done', obj({ did: str, removed: bool })) }),
    },
    '/api/account/publish-certificate': {
      put: op({
        summary: "A new publish certificate, signed on the account's device, for the node's key (renewal)",
        body: body(obj({ certificate: { type: 'object' } })),
        responses: ok('Renewed', obj({ account: ref('Account') })),
      }),
    },
    '/api/account/revocations': {
      post: op({
        summary: "A revocation the account's device signed (of the node's publish certificate, say): stored and pushed with its scope",
        body: body(obj({ revocation: { type: 'object' } })),
        responses: ok('Stored', obj({ id: str, digest: str }), '201'),
      }),
    },
    '/api/blocked-roots': {
      get: op({
        summary: 'Node roots blocked: every account each vouches for is muted',
        responses: ok('Blocked roots', obj({ roots: list(obj({ did: str, since: str, accounts: int })) })),
      }),
      post: op({
        summary: 'Block a node root: every account it vouches for is muted in the timeline, notifications, threads and search',
        body: body(obj({ did: str })),
        responses: ok('Blocked', obj({ did: str, added: bool, accounts: int })),
      }),
    },
    '/api/blocked-roots/{did}': {
      delete: op({
        summary: 'Unblock a node root: its accounts show again at once',
        params: [didParam],
        responses: ok('Done', obj({ did: str, removed: bool })),
      }),
    },
  };
}
