import { fail } from '../core/errors.js';
import { apIdKey, isApId } from '../core/apid.js';
import { checkMediaLinks, textToHtml, type NoteFields } from '../core/as2.js';
import { MAX_ALT_TEXT_CHARS, MAX_CONTENT_WARNING_CHARS, MAX_POST_CHARS } from '../core/constants.js';
import { composeText, type PetnameResolver } from '../core/post-text.js';
import { isJsonObject, type Did, type JsonObject } from '../core/types.js';
import type { Ingested } from '../store/ingest.js';
import type { KithNode } from './kith-node.js';
import type { NetworkLink } from './network-link.js';
import type { Inbox } from './inbox.js';
import type { FollowerKeys } from './follower-keys.js';
import { checkAttachments } from './media.js';
import { checkProfileChange, profileView, type ProfileView } from './profile.js';
import { petnameTarget } from './petnames.js';

/** What the owner signs in their own name: posts and replies, activities signed on a device, their profile. */

export interface PostInput {
  readonly text: string;
  /** The ap:// id of the post this one answers; null or absent for a new post. */
  readonly inReplyTo?: string | null | undefined;
  /** Attachments as the media upload (or `kith post --attach`) described them. */
  readonly attachment?: readonly JsonObject[] | undefined;
  /** A content warning (plain text): readers see it, and open the post to read it. '' or absent for none. */
  readonly summary?: string | null | undefined;
  /** Hides the post behind a warning even without warning text (sensitive media). */
  readonly sensitive?: boolean | undefined;
  /** 'followers': sealed, readable by approved followers only (node/follower-epochs.ts). Public when absent. */
  readonly visibility?: 'public' | 'followers' | undefined;
}

export interface Posted extends Ingested {
  /** The Note's id (the activity that carries it is `id`). */
  readonly noteId: string;
  /** Peers the post was pushed to live; 0 when the network is not up (followers get it at the next sync). */
  readonly pushedTo: number;
  /** The epoch whose key opens it, for a followers-only post (its `id` and `digest` are then its sealed envelope's). */
  readonly epoch?: number;
}

export interface ProfileInput {
  /** Plain text; '' removes it. */
  readonly name?: string | undefined;
  /** Plain text (it is published as HTML); '' removes it. */
  readonly summary?: string | undefined;
  /** An image attachment, or null to remove the avatar. */
  readonly icon?: JsonObject | null | undefined;
  /** An image attachment, or null to remove the header. */
  readonly image?: JsonObject | null | undefined;
}

export interface ProfileChanged {
  readonly digest: string;
  readonly pushedTo: number;
  /** The profile as it is now. */
  readonly profile: ProfileView;
}

export interface Accepted {
  readonly id: string;
  readonly digest: string;
  readonly status: Ingested['status'];
}

/** An image's description (its alt text) as it is signed: trimmed, within its cap; undefined when empty. */
export function altTextOf(name: unknown, i: number): string | undefined {
  if (name === undefined || name === null) return undefined;
  if (typeof name !== 'string' || name.length > MAX_ALT_TEXT_CHARS) {
    fail('malformed', `the description of attachment ${i} (its name, the alt text) must be text of at most ${MAX_ALT_TEXT_CHARS} characters`);
  }
  const described = name.trim();
  return described.length > 0 ? described : undefined;
}

/**
 * Attachments as they are signed: a device's view links media through its
 * node (`src`), which is not posted; the description a person gave an image
 * (its alt text, AS2's `name`) is kept, trimmed, within its cap.
 */
function postedAttachments(attachments: readonly JsonObject[]): JsonObject[] {
  // As ingest will check them, but first, so a bad URN is refused naming the attachment it is in.
  if (Array.isArray(attachments)) checkMediaLinks({ attachment: [...attachments] });
  return checkAttachments(attachments).map(({ src: _src, name, ...a }, i) => {
    const described = altTextOf(name, i);
    return described !== undefined ? { ...a, name: described } : a;
  });
}

/** A content warning as the post carries it: trimmed, one of its length; '' is none. */
function warningOf(summary: string | null | undefined): string | undefined {
  if (summary === undefined || summary === null) return undefined;
  if (summary.length > MAX_CONTENT_WARNING_CHARS) {
    fail('malformed', `a content warning is at most ${MAX_CONTENT_WARNING_CHARS} characters; this one has ${summary.length}`);
  }
  const warning = summary.trim();
  return warning.length > 0 ? warning : undefined;
}

/**
 * The checked fields of a post, whichever way it arrives: text within its
 * cap, the post it answers as a canonical ap:// id, attachments without the
 * links a device's view adds, a content warning within its cap, and the
 * text's hashtags and mentions as tags and links (`@petname` resolved by
 * `resolve`). Refuses with the reason before anything is stored.
 */
export function postFields(input: PostInput, resolve?: PetnameResolver): NoteFields & { mentioned: Did[] } {
  const { text, inReplyTo, attachment } = input;
  if (text.trim().length === 0) fail('malformed', 'a post needs some text');
  if (text.length > MAX_POST_CHARS) fail('malformed', `a post is at most ${MAX_POST_CHARS} characters; this one has ${text.length}`);
  if (inReplyTo !== undefined && inReplyTo !== null && !isApId(inReplyTo)) {
    fail('malformed', `a reply names the ap:// id of the post it answers, not "${inReplyTo.slice(0, 60)}"`);
  }
  const summary = warningOf(input.summary);
  const composed = composeText(text, resolve);
  return {
    text,
    html: composed.html,
    mentioned: composed.mentioned,
    ...(composed.tags.length > 0 ? { tag: composed.tags } : {}),
    ...(summary !== undefined ? { summary } : {}),
    ...(input.sensitive === true ? { sensitive: true } : {}),
    ...(typeof inReplyTo === 'string' ? { inReplyTo: apIdKey(inReplyTo) } : {}),
    ...(attachment !== undefined && attachment.length > 0 ? { attachment: postedAttachments(attachment) } : {}),
  };
}

export class Publishing {
  constructor(
    private readonly node: KithNode,
    private readonly link: NetworkLink,
    /** Where what the owner publishes goes to the people it addresses (a reply's author, whoever it mentions). */
    private readonly inbox?: Inbox,
    /** Epoch keys, for followers-only posts. */
    private readonly keys?: FollowerKeys,
  ) {}

  /** Signs a post (or a reply) with the owner's key, pushes it to followers and delivers it to whoever it addresses. */
  async post(input: PostInput): Promise<Posted> {
    if (input.visibility !== undefined && input.visibility !== 'public' && input.visibility !== 'followers') {
      fail('malformed', `visibility is "public" or "followers", not "${String(input.visibility).slice(0, 40)}"`);
    }
    if (input.visibility === 'followers') return this.postToFollowers(input);
    const r = this.node.post(postFields(input, (handle) => petnameTarget(this.node.store, handle)));
    this.inbox?.deliverLater(r.digest);
    return { ...r, pushedTo: await this.link.push(r.digest) };
  }

  /**
   * A followers-only post: sealed, its capability under the current epoch key
   * (brought in line with the approved followers first). It is delivered to
   * nobody's inbox: a mention would tell the inbox's holders who was named.
   */
  private async postToFollowers(input: PostInput): Promise<Posted> {
    const keys = this.keys;
    if (keys === undefined) return fail('internal', 'followers-only posts need the follower keys of the service');
    const { mentioned: _mentioned, ...fields } = postFields(input, (handle) => petnameTarget(this.node.store, handle));
    const r = await keys.run(async () => {
      await keys.epochs.reconcile();
      const posted = await keys.epochs.post(fields);
      // Opened for the author's own reading views before this returns: their timeline shows it at once.
      await keys.reading.pass();
      return posted;
    });
    return { ...r, pushedTo: await this.link.push(r.digest) };
  }

  /** FEP-ae97: an activity signed on a device (by a paired device's key, or the owner's), taken as it is. */
  async acceptSigned(activity: JsonObject): Promise<Accepted> {
    const checked = this.node.check(activity);
    if (checked.owner !== this.node.did) fail('unauthorized', `this outbox takes activities of ${this.node.did} only, not of ${checked.owner}`);
    const r = this.node.ingest(activity);
    if (r.status === 'stored') this.inbox?.deliverLater(r.digest);
    await this.link.push(r.digest);
    return { id: r.id, digest: r.digest, status: r.status };
  }

  /** The owner's actor document as it is now. */
  profile(): JsonObject {
    return this.node.actor();
  }

  /** Signs a new version of the owner's actor with these fields changed, and pushes it. */
  async updateProfile(input: ProfileInput): Promise<ProfileChanged> {
    if (isJsonObject(input.icon)) checkMediaLinks({ icon: input.icon });
    if (isJsonObject(input.image)) checkMediaLinks({ image: input.image });
    const change = checkProfileChange(input);
    if (Object.keys(change).length === 0) fail('malformed', 'nothing to change in the profile');
    const r = this.node.updateProfile({
      ...(change.name !== undefined ? { name: change.name } : {}),
      // AS2 summaries are HTML; what a person types is text.
      ...(change.summary !== undefined ? { summary: change.summary === '' ? '' : textToHtml(change.summary) } : {}),
      // The node's updateProfile removes the field for null.
      ...(change.icon !== undefined ? { icon: change.icon as JsonObject } : {}),
      ...(change.image !== undefined ? { image: change.image as JsonObject } : {}),
    });
    return { digest: r.digest, pushedTo: await this.link.push(r.digest), profile: profileView(this.node) };
  }
}
