import type { SchemaHelpers } from './openapi-accounts.js';

/** The owner API's routes for follower keys (issue 14), described for ./openapi.ts with its schema helpers. */
export function followerKeyPaths({ op, obj, list, ref, ok, pageParams }: SchemaHelpers): Record<string, Record<string, unknown>> {
  return {
    '/api/followers-only': {
      get: op({
        summary: 'Followers-only posts this person may read (their own and those of authors whose epoch keys they hold), opened, newest first',
        params: pageParams,
        responses: ok('Opened posts', obj({ items: list(ref('Post')) })),
      }),
    },
  };
}
