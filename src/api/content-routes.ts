import type { Hono } from 'hono';
import { fail } from '../core/errors.js';
import { isoOf } from '../core/statement.js';
import type { KithService } from '../node/service.js';
import type { AuthVariables } from './owner-auth.js';
import type { Views } from './owner-views.js';
import { jsonBody, pathParam } from './http-input.js';
import { textField } from './request-fields.js';

/**
 * Owner API routes for search and petnames (documented in ./openapi.ts).
 * What they answer with is the service's; this reads requests and shapes replies.
 */
export function addContentRoutes(app: Hono<{ Variables: AuthVariables }>, service: KithService, views: () => Views): void {
  app.get('/api/search', (c) => {
    const limitRaw = c.req.query('limit');
    const limit = limitRaw === undefined ? undefined : Number(limitRaw);
    const r = service.search.search(c.req.query('q') ?? '', { limit });
    const v = views();
    return c.json({ terms: r.terms, people: r.people.map((did) => v.person(did)), posts: v.posts(r.posts) });
  });

  app.get('/api/petnames', (c) => {
    const v = views();
    return c.json({ petnames: service.petnames.list().map((p) => ({ name: p.name, since: isoOf(p.since), person: v.person(p.did) })) });
  });
  app.put('/api/petnames/:did', async (c) => {
    const body = await jsonBody(c);
    for (const k of Object.keys(body)) if (k !== 'name') fail('malformed', `"${k.slice(0, 40)}" is not a petname field; send {"name": …}`);
    const r = service.petnames.set(pathParam(c, 'did'), textField(body, 'name'));
    return c.json({ name: r.name, previous: r.previous, person: views().person(r.did) });
  });
  app.delete('/api/petnames/:did', (c) => {
    const r = service.petnames.remove(pathParam(c, 'did'));
    return c.json({ removed: r.removed, person: views().person(r.did) });
  });
}
