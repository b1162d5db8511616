import type { Hono } from 'hono';
import type { Reading } from '../node/reading.js';
import type { AuthVariables } from './owner-auth.js';
import type { Views } from './owner-views.js';
import { nextOf, pageOf, pathParam } from './http-input.js';

/**
 * Owner API routes that only read (documented in ./openapi.ts): the timeline,
 * a thread, a person's posts, the notifications. They need nothing but a
 * store, so the API's front thread answers them itself over a read-only
 * connection (./api-front.ts), and the owner API has them too for callers
 * in the same process.
 */

/** The requests these routes answer, as the front thread tells them apart from the rest. */
export function isReadingRoute(method: string, path: string): boolean {
  return (method === 'GET' || method === 'HEAD') && (READING_PATHS.has(path) || /^\/api\/people\/[^/]+$/.test(path));
}
const READING_PATHS: ReadonlySet<string> = new Set(['/api/timeline', '/api/thread', '/api/notifications']);

export function addReadingRoutes(app: Hono<{ Variables: AuthVariables }>, reading: Reading, views: () => Views): void {
  app.get('/api/timeline', (c) => {
    const page = pageOf(c);
    const rows = reading.timeline(page);
    return c.json({ items: views().posts(rows), next: nextOf(rows, page) });
  });
  app.get('/api/thread', (c) => {
    const t = reading.thread(c.req.query('id') ?? '');
    const v = views();
    return c.json({ ancestors: v.posts(t.ancestors), post: v.post(t.post), replies: v.posts(t.replies) });
  });
  app.get('/api/people/:did', (c) => {
    const page = pageOf(c);
    const p = reading.person(pathParam(c, 'did'), page);
    const v = views();
    return c.json({ person: v.person(p.did), items: v.posts(p.items), next: nextOf(p.items, page) });
  });
  app.get('/api/notifications', (c) => {
    const page = pageOf(c);
    const n = reading.notifications(page, { filtered: c.req.query('filtered') === 'true' });
    const v = views();
    v.prepare(n.items.map((i) => i.object));
    const items = n.items.flatMap((i) => v.notification(i) ?? []);
    return c.json({
      items,
      unread: n.unread,
      filtering: n.filtering,
      next: nextOf(
        n.items.map((i) => i.object),
        page,
      ),
    });
  });
}
