import type { Hono } from 'hono';
import { isoOf } from '../core/statement.js';
import type { KithService } from '../node/service.js';
import type { FollowerAnswered } from '../node/follow-requests.js';
import type { Follower } from '../store/followers.js';
import type { AuthVariables } from './owner-auth.js';
import type { PersonView, Views } from './owner-views.js';
import { pathParam } from './http-input.js';

/**
 * Owner API routes for follows both sides know (documented in ./openapi.ts):
 * whom the owner follows and how each follow stands, their followers, the
 * requests waiting while the account is locked, and the answers to them.
 * The rules are the service's (node/follow-requests.ts); this shapes replies.
 */

/** A person among the owner's followers or requests, with when they asked (or were accepted). */
export interface FollowerView {
  readonly person: PersonView;
  readonly since: string;
}

export function addFollowerRoutes(app: Hono<{ Variables: AuthVariables }>, service: KithService, views: () => Views): void {
  const listed = (rows: readonly Follower[]): FollowerView[] => {
    const v = views();
    return rows.map((f) => ({ person: v.person(f.did), since: isoOf(f.since) }));
  };
  const answered = (r: FollowerAnswered): { person: PersonView; state: string; activity: string } => ({
    person: views().person(r.did),
    state: r.state,
    activity: r.activity,
  });

  app.get('/api/follows', (c) => {
    const v = views();
    // Each person with how the follow stands: asked, accepted by them, or rejected by them (ended).
    const following = service.people
      .followingStatus()
      .map((f) => ({ ...v.person(f.did), followState: f.state, followStateAt: f.stateAt === null ? null : isoOf(f.stateAt) }));
    return c.json({ following });
  });
  app.get('/api/followers', (c) => c.json({ followers: listed(service.follows.followers()) }));
  app.get('/api/follow-requests', (c) => c.json({ requests: listed(service.follows.pending()), locked: service.settings().locked }));
  app.post('/api/follow-requests/:did/approve', async (c) => c.json(answered(await service.follows.approve(pathParam(c, 'did')))));
  app.post('/api/follow-requests/:did/reject', async (c) => c.json(answered(await service.follows.reject(pathParam(c, 'did')))));
  app.delete('/api/followers/:did', async (c) => c.json(answered(await service.follows.remove(pathParam(c, 'did')))));
}
