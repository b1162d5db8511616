import type { Hono } from 'hono';
import type { KithService } from '../node/service.js';
import type { JsonObject } from '../core/types.js';
import type { AuthVariables } from './owner-auth.js';
import { forumHandlers, type ForumRoutes } from './forum-control.js';
import { jsonBody, pathParam, type C } from './http-input.js';

/**
 * Owner API routes for forums (documented in ./forum-openapi.ts): the same
 * operations and bodies as the `kith forum` commands (./forum-control.ts),
 * the forum named in the path by its did:key.
 */
export function addForumRoutes(app: Hono<{ Variables: AuthVariables }>, service: KithService): void {
  const h = forumHandlers(service);
  const run = async <K extends keyof ForumRoutes>(c: C, route: K, extra: JsonObject = {}): Promise<ForumRoutes[K]['result']> => {
    const body = c.req.method === 'GET' ? {} : await jsonBody(c);
    const handler = h[route];
    const input: JsonObject = { ...body, ...extra };
    // The path names the forum, whatever the body says.
    if (c.req.param('did') !== undefined) input.forum = pathParam(c, 'did');
    return handler.run(handler.read(input) as never) as ForumRoutes[K]['result'];
  };
  app.get('/api/forums', async (c) => c.json(await run(c, 'GET /forums')));
  app.post('/api/forums', async (c) => c.json(await run(c, 'POST /forum/create')));
  app.post('/api/forums/:did/join', async (c) => c.json(await run(c, 'POST /forum/join')));
  app.post('/api/forums/:did/host', async (c) => c.json(await run(c, 'POST /forum/host')));
  app.get('/api/forums/:did/posts', async (c) => c.json(await run(c, 'POST /forum/read')));
  app.post('/api/forums/:did/posts', async (c) => c.json(await run(c, 'POST /forum/post')));
  app.get('/api/forums/:did/members', async (c) => c.json(await run(c, 'POST /forum/members')));
  app.post('/api/forums/:did/invite', async (c) => c.json(await run(c, 'POST /forum/invite')));
  app.get('/api/forums/:did/requests', async (c) => c.json(await run(c, 'POST /forum/requests')));
  app.post('/api/forums/:did/approve', async (c) => c.json(await run(c, 'POST /forum/approve')));
  app.post('/api/forums/:did/reject', async (c) => c.json(await run(c, 'POST /forum/reject')));
  app.post('/api/forums/:did/ban', async (c) => c.json(await run(c, 'POST /forum/ban')));
  app.post('/api/forums/:did/unban', async (c) => c.json(await run(c, 'POST /forum/unban')));
  app.post('/api/forums/:did/hide', async (c) => c.json(await run(c, 'POST /forum/hide')));
  app.post('/api/forums/:did/moderators', async (c) => c.json(await run(c, 'POST /forum/moderator/add')));
  app.post('/api/forums/:did/moderators/remove', async (c) => c.json(await run(c, 'POST /forum/moderator/remove')));
  app.get('/api/forums/:did/log', async (c) => c.json(await run(c, 'POST /forum/log')));
  app.post('/api/forums/:did/block-root', async (c) => c.json(await run(c, 'POST /forum/block-root')));
  app.post('/api/forums/:did/unblock-root', async (c) => c.json(await run(c, 'POST /forum/unblock-root')));
  app.get('/api/forums/:did/roots', async (c) => c.json(await run(c, 'POST /forum/roots')));
  app.put('/api/forums/:did/roots', async (c) => c.json(await run(c, 'POST /forum/roots')));
  app.post('/api/forums/:did/reports', async (c) => c.json(await run(c, 'POST /forum/report')));
  app.get('/api/forums/:did/reports', async (c) => c.json(await run(c, 'POST /forum/reports')));
  app.post('/api/forums/:did/reports/dismiss', async (c) => c.json(await run(c, 'POST /forum/report/dismiss')));
  app.post('/api/forums/:did/reports/act', async (c) => c.json(await run(c, 'POST /forum/report/act')));
}
