import { reasonOf, silentLogger, type Logger } from '../core/log.js';
import type { JsonObject } from '../core/types.js';
import { KithNode } from './kith-node.js';
import type { Network } from './network.js';
import { NetworkLink } from './network-link.js';
import { Publishing } from './publishing.js';
import { Reading } from './reading.js';
import { Interactions } from './interactions.js';
import { People } from './people.js';
import { OwnerDevices } from './owner-devices.js';
import { MediaLibrary } from './media-library.js';
import { Petnames } from './petnames.js';
import { Search } from './search.js';
import { NodeReport, type PeerConnection, type ServiceStatus, type Storage } from './service-status.js';
import { Inbox } from './inbox.js';
import { FollowRequests } from './follow-requests.js';
import { HostedAccounts } from './accounts.js';
import { AccountForums } from './account-forums.js';
import { RootBlocks } from './root-blocks.js';
import { Forums } from './forums.js';
import { ForumModeration } from './forum-moderation.js';
import { ForumReports } from './forum-reports.js';
import { ForumActing } from './forum-acting.js';
import { ForumKeys } from './forum-keys.js';
import { FORUM } from '../core/forum-constants.js';
import { FollowerKeys } from './follower-keys.js';
import { DirectMessages } from './direct-messages.js';
import { loadPreferences, updatePreferences, type Preferences } from './preferences.js';

/**
 * The application: every operation the owner performs, whichever way they
 * ask (the `kith` command on the store or through the running node's control
 * endpoint, the owner API their devices use). Inputs are typed and every rule
 * (caps, canonical ids, DID parsing, what may be uploaded) is checked here,
 * so each surface is a thin adapter that reads a request and shapes a reply.
 *
 * Its parts by area: publishing (posts, replies, device-signed activities,
 * profile), interactions (likes, boosts, edits, deletes), reading (timeline,
 * people, threads, notifications), people (follows and blocks), petnames,
 * search, devices (pairing), media; status and settings here.
 */

export type PreferencesListener = (p: Preferences) => void;

export interface ServiceOptions {
  /** Where the service reports what it could not do for someone who is no longer waiting (a listener that failed). */
  readonly log?: Logger;
  readonly now?: () => number;
}

export class KithService {
  readonly publishing: Publishing;
  readonly reading: Reading;
  readonly interactions: Interactions;
  readonly people: People;
  readonly devices: OwnerDevices;
  readonly media: MediaLibrary;
  readonly petnames: Petnames;
  readonly search: Search;
  readonly inbox: Inbox;
  /** Follows both sides know: the owner's followers and requests, and the answers to the owner's follows. */
  readonly follows: FollowRequests;
  /** Accounts this node hosts for other people, and what their devices do. */
  readonly accounts: HostedAccounts;
  /** Hosted accounts in forums: join, post and read as the account (account-forums.ts). */
  readonly accountForums: AccountForums;
  /** Node roots the owner blocked: the accounts they vouch for are muted. */
  readonly rootBlocks: RootBlocks;
  /** Forums: membership, posts and reading (forums.ts); governance and the log (forum-moderation.ts). */
  readonly forums: Forums;
  readonly moderation: ForumModeration;
  /** Reports of forum posts, kept out of every scope (forum-reports.ts). */
  readonly forumReports: ForumReports;
  /** Key-agreement keys, epoch keys, followers-only posts (issue 14). */
  readonly keys: FollowerKeys;
  /** Direct messages: conversations with a key per generation (issue 14). */
  readonly dms: DirectMessages;
  readonly log: Logger;
  private readonly link = new NetworkLink();
  private readonly report: NodeReport;
  private readonly preferenceListeners = new Set<PreferencesListener>();
  private readonly stopFollows: () => void;
  private readonly stopForums: () => void;
  private renewTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly node: KithNode,
    opts: ServiceOptions = {},
  ) {
    const now = opts.now ?? Date.now;
    this.log = opts.log ?? silentLogger;
    this.inbox = new Inbox(node, this.link, this.log);
    this.keys = new FollowerKeys(node, this.log, now, (digest) => this.link.push(digest));
    this.dms = new DirectMessages(node, this.keys.agreement, this.inbox, this.log, now);
    this.publishing = new Publishing(node, this.link, this.inbox, this.keys);
    this.reading = new Reading(node, now);
    this.interactions = new Interactions(node, this.link, this.inbox);
    this.follows = new FollowRequests(node, this.link, this.inbox, this.log);
    // Whichever way a Follow, an answer or an Undo arrives (the inbox, a sync), it moves the follow it is about.
    this.stopFollows = node.ingestor.onStored((records) => this.follows.stored(records));
    const acting = new ForumActing(node, this.link, new ForumKeys(node.home), this.log, now);
    this.forums = new Forums(acting, this.inbox);
    this.moderation = new ForumModeration(acting);
    // A join request reaches a forum's owner through the inbox (or a sync); it is answered here.
    this.forumReports = new ForumReports(acting, this.moderation);
    node.unscoped.set('Flag', (doc) => this.forumReports.receive(doc));
    const stopModeration = node.ingestor.onStored((records) => this.moderation.stored(records));
    const stopReports = node.ingestor.onStored((records) => this.forumReports.stored(records));
    this.stopForums = () => {
      stopModeration();
      stopReports();
    };
    this.people = new People(node, this.link, this.follows);
    this.devices = new OwnerDevices(node, this.link, now);
    this.media = new MediaLibrary(node, this.link);
    this.petnames = new Petnames(node, now);
    this.search = new Search(node);
    this.accounts = new HostedAccounts(node, this.link, this.log, now);
    this.accountForums = new AccountForums(this.accounts, this.forums, acting);
    this.rootBlocks = new RootBlocks(node);
    this.report = new NodeReport(node, this.link);
  }

  /** The service over the node in this home, for commands that run while no node does. Close it after. */
  static open(homeDir?: string, opts: ServiceOptions = {}): KithService {
    return new KithService(KithNode.open(homeDir), opts);
  }

  close(): void {
    if (this.renewTimer !== undefined) clearInterval(this.renewTimer);
    this.stopForums();
    this.keys.stop();
    this.stopFollows();
    this.node.close();
  }

  /** Hands the running network to every operation once it is up (the surfaces start first, so a busy port fails fast). */
  attach(network: Network): void {
    this.link.attach(network);
    // Members' certificates are short; the owner's node renews them while it runs.
    const renew = (): void => {
      try {
        const n = this.moderation.renew();
        if (n > 0) this.log.info(`forums: renewed ${n} membership certificate(s)`);
      } catch (e) {
        this.log.error(`forums: renewing memberships failed: ${reasonOf(e)}`);
      }
    };
    renew();
    try {
      if (this.forums.refreshEndpoints() > 0) this.log.info('forums: the forums owned here list this node\u2019s new addresses');
    } catch (e) {
      this.log.error(`forums: listing this node's addresses in its forums failed: ${reasonOf(e)}`);
    }
    this.renewTimer ??= setInterval(renew, FORUM.RENEW_CHECK_MS).unref();
    this.keys.start();
  }

  get network(): Network | undefined {
    return this.link.current;
  }

  status(): ServiceStatus {
    return this.report.status();
  }

  storage(): Storage {
    return this.report.storage();
  }

  peers(): PeerConnection[] {
    return this.report.peers();
  }

  settings(): Preferences {
    return loadPreferences(this.node.store.settings);
  }

  /** Checks the change whole before saving any of it, then lets the node apply it at once (mDNS on or off…). */
  updateSettings(patch: JsonObject): Preferences {
    const prefs = updatePreferences(this.node.store.settings, patch);
    for (const fn of this.preferenceListeners) {
      try {
        fn(prefs);
      } catch (e) {
        this.log.error(`settings saved, but applying them failed: ${reasonOf(e)}`);
      }
    }
    return prefs;
  }

  /** Called after every settings change; returns a function that stops it. */
  onPreferences(fn: PreferencesListener): () => void {
    this.preferenceListeners.add(fn);
    return () => this.preferenceListeners.delete(fn);
  }
}
