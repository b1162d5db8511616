import type { Did, JsonObject } from '../core/types.js';
import type { KithService } from '../node/service.js';
import type { ForumMember, ForumPostView, ForumView, Joined } from '../node/forums.js';
import type { ActDone, ForumAct, ForumRoots } from '../node/forum-moderation.js';
import type { ReportSent, ReportView } from '../node/forum-reports.js';
import type { JoinPolicy } from '../core/forum.js';
import { optionalText, textField } from './request-fields.js';
import { fail } from '../core/errors.js';

/**
 * Forum operations (issue 13) as routes: the control endpoint's (the `kith
 * forum` commands) and the owner API's (a device) take the same bodies and
 * call the same service; declared once here.
 */
export interface ForumRoutes {
  'GET /forums': { body: undefined; result: { forums: ForumView[] } };
  'POST /forum/create': { body: { name: string; policy?: JoinPolicy }; result: ForumView };
  /** `via`: an address of a node that keeps the forum; `token`: an invitation. */
  'POST /forum/join': { body: { forum: string; via?: string; token?: string }; result: Joined };
  'POST /forum/host': { body: { forum: string; via?: string }; result: ForumView };
  'POST /forum/post': { body: { forum: string; text: string; inReplyTo?: string }; result: { id: string; forum: Did } };
  'POST /forum/read': { body: { forum: string }; result: { posts: ForumPostView[] } };
  'POST /forum/members': { body: { forum: string }; result: { members: ForumMember[] } };
  'POST /forum/invite': { body: { forum: string }; result: { forum: Did; token: string; expires: string } };
  'POST /forum/requests': { body: { forum: string }; result: { requests: { did: Did; requested: string }[] } };
  'POST /forum/approve': { body: { forum: string; did: string }; result: ActDone };
  'POST /forum/reject': { body: { forum: string; did: string }; result: ActDone };
  'POST /forum/ban': { body: { forum: string; did: string }; result: ActDone };
  'POST /forum/unban': { body: { forum: string; did: string }; result: ActDone };
  'POST /forum/hide': { body: { forum: string; post: string }; result: ActDone };
  'POST /forum/moderator/add': { body: { forum: string; did: string }; result: ActDone };
  'POST /forum/moderator/remove': { body: { forum: string; did: string }; result: ActDone };
  'POST /forum/log': { body: { forum: string }; result: { acts: ForumAct[] } };
  'POST /forum/block-root': { body: { forum: string; did: string }; result: ActDone };
  'POST /forum/unblock-root': { body: { forum: string; did: string }; result: ActDone };
  /** `only`: the node roots whose accounts alone it admits ([] admits any); without it, what stands. */
  'POST /forum/roots': { body: { forum: string; only?: string[] }; result: ForumRoots };
  /** A member reports a post to the forum's owner and moderators (never public). */
  'POST /forum/report': { body: { forum: string; post: string; reason: string }; result: ReportSent };
  'POST /forum/reports': { body: { forum: string }; result: { reports: ReportView[] } };
  'POST /forum/report/dismiss': { body: { forum: string; id: string }; result: { report: ReportView } };
  /** `action`: hide the post, or ban its author. */
  'POST /forum/report/act': { body: { forum: string; id: string; action: string }; result: { report: ReportView; act: ActDone } };
}

type Handlers = {
  [K in keyof ForumRoutes]: {
    read(body: JsonObject): ForumRoutes[K]['body'];
    run(b: ForumRoutes[K]['body']): ForumRoutes[K]['result'] | Promise<ForumRoutes[K]['result']>;
  };
};

const forumOnly = (b: JsonObject) => ({ forum: textField(b, 'forum') });
const forumAndDid = (b: JsonObject) => ({ forum: textField(b, 'forum'), did: textField(b, 'did') });
const noBody = (): undefined => undefined;
const readRoots = (b: JsonObject): { forum: string; only?: string[] } => {
  if (b.only === undefined) return forumOnly(b);
  if (!Array.isArray(b.only) || !b.only.every((d) => typeof d === 'string')) fail('malformed', '"only" is a list of node roots\u2019 did:keys ([] admits any)');
  return { forum: textField(b, 'forum'), only: b.only as string[] };
};

export function forumHandlers(service: KithService): Handlers {
  const f = service.forums;
  const m = service.moderation;
  const reports = service.forumReports;
  const forumAndId = (b: JsonObject) => ({ forum: textField(b, 'forum'), id: textField(b, 'id') });
  return {
    'GET /forums': { read: noBody, run: () => ({ forums: f.list() }) },
    'POST /forum/create': {
      read: (b) => ({ name: textField(b, 'name'), ...(b.policy === undefined ? {} : { policy: textField(b, 'policy') as JoinPolicy }) }),
      run: (b) => f.create(b.name, b.policy),
    },
    'POST /forum/join': {
      read: (b) => {
        const via = optionalText(b, 'via');
        const token = optionalText(b, 'token');
        return { forum: textField(b, 'forum'), ...(via === undefined ? {} : { via }), ...(token === undefined ? {} : { token }) };
      },
      run: (b) => f.join(b.forum, b),
    },
    'POST /forum/host': {
      read: (b) => {
        const via = optionalText(b, 'via');
        return { forum: textField(b, 'forum'), ...(via === undefined ? {} : { via }) };
      },
      run: (b) => f.host(b.forum, b.via),
    },
    'POST /forum/post': {
      read: (b) => {
        const inReplyTo = optionalText(b, 'inReplyTo');
        return { forum: textField(b, 'forum'), text: textField(b, 'text'), ...(inReplyTo === undefined ? {} : { inReplyTo }) };
      },
      run: (b) => f.post(b.forum, b.text, b.inReplyTo),
    },
    'POST /forum/read': { read: forumOnly, run: (b) => ({ posts: f.read(b.forum) }) },
    'POST /forum/members': { read: forumOnly, run: (b) => ({ members: f.members(b.forum) }) },
    'POST /forum/invite': { read: forumOnly, run: (b) => f.invite(b.forum) },
    'POST /forum/requests': { read: forumOnly, run: (b) => ({ requests: m.requests(b.forum) }) },
    'POST /forum/approve': { read: forumAndDid, run: (b) => m.approve(b.forum, b.did) },
    'POST /forum/reject': { read: forumAndDid, run: (b) => m.reject(b.forum, b.did) },
    'POST /forum/ban': { read: forumAndDid, run: (b) => m.ban(b.forum, b.did) },
    'POST /forum/unban': { read: forumAndDid, run: (b) => m.unban(b.forum, b.did) },
    'POST /forum/hide': { read: (b) => ({ forum: textField(b, 'forum'), post: textField(b, 'post') }), run: (b) => m.hide(b.forum, b.post) },
    'POST /forum/moderator/add': { read: forumAndDid, run: (b) => m.moderatorAdd(b.forum, b.did) },
    'POST /forum/moderator/remove': { read: forumAndDid, run: (b) => m.moderatorRemove(b.forum, b.did) },
    'POST /forum/log': { read: forumOnly, run: (b) => ({ acts: m.log(b.forum) }) },
    'POST /forum/block-root': { read: forumAndDid, run: (b) => m.blockRoot(b.forum, b.did) },
    'POST /forum/unblock-root': { read: forumAndDid, run: (b) => m.unblockRoot(b.forum, b.did) },
    'POST /forum/roots': { read: readRoots, run: (b) => m.roots(b.forum, b.only === undefined ? undefined : { only: b.only }) },
    'POST /forum/report': {
      read: (b) => ({ forum: textField(b, 'forum'), post: textField(b, 'post'), reason: textField(b, 'reason') }),
      run: (b) => reports.report(b.forum, b.post, b.reason),
    },
    'POST /forum/reports': { read: forumOnly, run: (b) => ({ reports: reports.reports(b.forum) }) },
    'POST /forum/report/dismiss': { read: forumAndId, run: (b) => ({ report: reports.dismiss(b.forum, b.id) }) },
    'POST /forum/report/act': {
      read: (b) => ({ ...forumAndId(b), action: textField(b, 'action') }),
      run: (b) => reports.act(b.forum, b.id, b.action),
    },
  };
}
