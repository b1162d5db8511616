import { openDatabase, openReader, type Db } from './database.js';
import { ObjectTable } from './objects.js';
import { AuthorityTable } from './authority.js';
import { KeyTable, RefusalCounter, SettingsTable } from './settings.js';
import { FollowTable, PeerTable } from './follows.js';
import { FollowerTable } from './followers.js';
import { ScopeIndexes } from './scope-index.js';
import { BlockTable } from './blocks.js';
import { DeviceTable } from './devices.js';
import { BlockedPeopleTable } from './blocked-people.js';
import { BlockedRootsTable } from './blocked-roots.js';
import { ForumReportTable } from './forum-reports.js';
import { AccountVouchTable } from './account-vouches.js';
import { HostedAccountTable } from './hosted-accounts.js';
import { LinkTable } from './links.js';
import { NotificationTable } from './notifications.js';
import { PetnameTable } from './petnames.js';
import { SearchTable } from './search.js';
import { OpenedPostTable } from './opened-posts.js';
import { HeldDeliveries, OutgoingDeliveries } from './inbox.js';
import { InteractionTable } from './interactions.js';
import { PostFactsReader } from './post-facts.js';
import { TombstoneTable } from './tombstones.js';
import { CheckpointTable } from './checkpoints.js';
import { ForumTable } from './forums.js';
import { DirectMessageTable } from './direct-messages.js';

/** The node's embedded store: one SQLite file in WAL mode, and the tables over it. */
export class Store {
  readonly objects: ObjectTable;
  readonly authority: AuthorityTable;
  readonly settings: SettingsTable;
  readonly refusals: RefusalCounter;
  readonly keys: KeyTable;
  readonly follows: FollowTable;
  readonly followers: FollowerTable;
  readonly peers: PeerTable;
  readonly scopeIndexes: ScopeIndexes;
  readonly blocks: BlockTable;
  readonly devices: DeviceTable;
  readonly blockedPeople: BlockedPeopleTable;
  readonly blockedRoots: BlockedRootsTable;
  /** Which node root vouches for a key (hosted accounts): see account-vouches.ts. */
  readonly accountVouches: AccountVouchTable;
  readonly hostedAccounts: HostedAccountTable;
  readonly links: LinkTable;
  readonly notifications: NotificationTable;
  readonly petnames: PetnameTable;
  readonly search: SearchTable;
  /** Followers-only posts opened here, and the reading views that show them (migration 15). */
  readonly opened: OpenedPostTable;
  readonly held: HeldDeliveries;
  readonly outgoing: OutgoingDeliveries;
  readonly interactions: InteractionTable;
  readonly checkpoints: CheckpointTable;
  readonly postFacts: PostFactsReader;
  readonly tombstones: TombstoneTable;
  readonly forums: ForumTable;
  readonly directMessages: DirectMessageTable;
  readonly forumReports: ForumReportTable;

  private constructor(readonly db: Db) {
    this.objects = new ObjectTable(db);
    this.authority = new AuthorityTable(db);
    this.settings = new SettingsTable(db);
    this.refusals = new RefusalCounter(db);
    this.keys = new KeyTable(db);
    this.follows = new FollowTable(db);
    this.followers = new FollowerTable(db);
    this.peers = new PeerTable(db);
    this.scopeIndexes = new ScopeIndexes(db, this.objects);
    this.blocks = new BlockTable(db);
    this.devices = new DeviceTable(db);
    this.blockedPeople = new BlockedPeopleTable(db);
    this.blockedRoots = new BlockedRootsTable(db);
    this.accountVouches = new AccountVouchTable(db);
    this.hostedAccounts = new HostedAccountTable(db);
    this.links = new LinkTable(db);
    this.notifications = new NotificationTable(db);
    this.petnames = new PetnameTable(db);
    this.search = new SearchTable(db);
    this.opened = new OpenedPostTable(db);
    this.held = new HeldDeliveries(db);
    this.outgoing = new OutgoingDeliveries(db);
    this.interactions = new InteractionTable(db);
    this.checkpoints = new CheckpointTable(db);
    this.postFacts = new PostFactsReader(db);
    this.tombstones = new TombstoneTable(db, this.objects, this.blocks, this.keys);
    this.forums = new ForumTable(db);
    this.directMessages = new DirectMessageTable(db);
    this.forumReports = new ForumReportTable(db);
  }

  static open(path: string): Store {
    return new Store(openDatabase(path));
  }

  /** The same tables over a read-only connection (see openReader): what they write fails with SQLITE_READONLY. */
  static openReader(path: string): Store {
    return new Store(openReader(path));
  }

  /** Runs fn in one write transaction: all of it lands, or none. */
  transaction<T>(fn: () => T): T {
    try {
      return this.db.transaction(fn)();
    } catch (e) {
      this.objects.rolledBack();
      throw e;
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
