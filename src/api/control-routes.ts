import type { Did, JsonObject } from '../core/types.js';
import type { Posted, PostInput, ProfileChanged, ProfileInput } from '../node/publishing.js';
import type { Followed } from '../node/people.js';
import type { FollowerAnswered } from '../node/follow-requests.js';
import type { Edited, Interacted } from '../node/interactions.js';
import type { PeerConnection, ServiceStatus } from '../node/service-status.js';
import type { Preferences } from '../node/preferences.js';
import type { DeviceView } from './owner-views.js';
import type { AccountStatus } from '../node/accounts.js';
import type { ForumRoutes } from './forum-control.js';
import type { DmRoutes } from './dm-control.js';

/**
 * The control endpoint's routes, declared once: what each takes and answers.
 * The endpoint (./control.ts) implements every route of this map, and the
 * CLI's client (cli/control-client.ts) can call only these, with these types.
 * A route is "METHOD /path"; a route whose body is `undefined` takes none.
 */
export interface ControlRoutes extends ForumRoutes, DmRoutes {
  'GET /status': { body: undefined; result: ServiceStatus };
  'GET /actor': { body: undefined; result: JsonObject };
  'GET /peers': { body: undefined; result: { peers: PeerConnection[] } };
  'POST /post': { body: PostInput; result: Posted };
  'POST /profile': { body: ProfileInput; result: ProfileChanged };
  /** `id`: the ap:// id of a post (or of the Create that carries it). */
  'POST /like': { body: { id: string }; result: Interacted };
  'POST /unlike': { body: { id: string }; result: Interacted };
  'POST /boost': { body: { id: string }; result: Interacted };
  'POST /unboost': { body: { id: string }; result: Interacted };
  'POST /edit': { body: { id: string; text: string }; result: Edited };
  'POST /delete': { body: { id: string }; result: Interacted };
  'POST /follow': { body: { target: string }; result: Followed };
  /** `did` is a did:key or an ap:// id of the person. */
  'POST /unfollow': { body: { did: string }; result: { did: Did; removed: boolean } };
  /** `did` is a did:key or an ap:// id of the person who asked to follow the owner. */
  'POST /approve': { body: { did: string }; result: FollowerAnswered };
  'POST /reject': { body: { did: string }; result: FollowerAnswered };
  'POST /remove-follower': { body: { did: string }; result: FollowerAnswered };
  'POST /fetch': { body: { urn: string }; result: { urn: string; complete: boolean } };
  'POST /pair': { body: undefined; result: { code: string; url: string; expires: string } };
  'GET /devices': { body: undefined; result: { devices: DeviceView[] } };
  /** `cutOff`: an ISO 8601 time no later than now; what the device signed from then on is void too. */
  'POST /devices/revoke': { body: { id: string; cutOff?: string }; result: { device: DeviceView } };
  /** A code that pairs one person's device as a hosted account; `name` is how it is listed. */
  'POST /accounts/add': { body: { name: string }; result: { code: string; url: string; expires: string } };
  'GET /accounts': { body: undefined; result: { accounts: AccountStatus[] } };
  /** `did` is the account's did:key (or ap:// id). */
  'POST /accounts/remove': { body: { did: string }; result: { account: AccountStatus } };
  /** `did` is the node root's did:key: every account it vouches for is muted. */
  'POST /block-root': { body: { did: string }; result: { did: Did; added: boolean; accounts: number } };
  'POST /unblock-root': { body: { did: string }; result: { did: Did; removed: boolean } };
  'GET /blocked-roots': { body: undefined; result: { roots: { did: Did; since: string; accounts: number }[] } };
  'GET /settings': { body: undefined; result: Preferences };
  /** A change to some settings, checked whole (as PATCH /api/settings takes it); the node applies it at once. */
  'POST /settings': { body: JsonObject; result: Preferences };
}

export type ControlRoute = keyof ControlRoutes;
export type ControlBody<K extends ControlRoute> = ControlRoutes[K]['body'];
export type ControlResult<K extends ControlRoute> = ControlRoutes[K]['result'];
