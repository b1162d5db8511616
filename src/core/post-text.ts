import { fail, KithError } from './errors.js';
import { actorId, didOf, followersId, isApId } from './apid.js';
import { parseDid } from './didkey.js';
import { MAX_HASHTAG_CHARS, MAX_POST_TAGS } from './constants.js';
import type { Did, JsonObject } from './types.js';

/**
 * What a person types becomes a post's `content` HTML and its `tag` list:
 * `#word` a Hashtag, `@did:key:z6Mk…` (or `@petname`, when the owner gave a
 * key that name) a Mention of the key's ap:// actor, both linked in the HTML
 * the way Mastodon writes them, so fediverse servers show them as links too.
 */

/**
 * A hashtag or a mention, not inside a word, an address or an e-mail: what
 * comes before it is none of these characters. A mention's handle is a
 * did:key, or a one-word petname (letters, digits, `_`, and `.` or `-`
 * inside it, so "@bob." ends before the full stop).
 */
export const TOKEN_PATTERN = /(?<![\p{L}\p{N}_@#/&])(?:#([\p{L}\p{N}_]+)|@(did:key:z[1-9A-HJ-NP-Za-km-z]+|[\p{L}\p{N}_](?:[\p{L}\p{N}_.-]*[\p{L}\p{N}_])?))/gu;

const HAS_LETTER = /\p{L}/u;

export interface ComposedText {
  /** The HTML `content`: paragraphs, line breaks, and links for hashtags and mentions. */
  readonly html: string;
  /** AS2 `tag`: Hashtag and Mention objects, each once. */
  readonly tags: JsonObject[];
  /** The keys mentioned, each once, in the order they first appear: they go into `cc`. */
  readonly mentioned: Did[];
}

/** Finds the key a one-word petname names; undefined when the owner gave no key that name. */
export type PetnameResolver = (handle: string) => Did | undefined;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The name a hashtag is matched by: lower-cased and in one Unicode form, so #Café and #CAFÉ are one tag. */
export function hashtagKey(tag: string): string {
  return tag.normalize('NFC').toLowerCase();
}

class TagList {
  readonly tags: JsonObject[] = [];
  readonly mentioned: Did[] = [];
  private readonly seen = new Set<string>();

  add(key: string, tag: JsonObject): void {
    if (this.seen.has(key)) return;
    if (this.seen.size >= MAX_POST_TAGS) fail('malformed', `a post carries at most ${MAX_POST_TAGS} hashtags and mentions; this one has more`);
    this.seen.add(key);
    this.tags.push(tag);
  }

  mention(did: Did, handle: string): void {
    if (!this.mentioned.includes(did)) this.mentioned.push(did);
    this.add(`@${did}`, { type: 'Mention', href: actorId(did), name: `@${handle}` });
  }
}

function mentionedDid(handle: string, resolve: PetnameResolver): Did | undefined {
  if (!handle.startsWith('did:key:')) return resolve(handle);
  try {
    return parseDid(handle);
  } catch (e) {
    if (!(e instanceof KithError)) throw e;
    return fail('malformed', `"@${handle.slice(0, 60)}" mentions a did:key that is not valid (${e.message}); check it for a mistyped character`);
  }
}

/** One paragraph's HTML: text escaped, newlines as <br>, hashtags and mentions as links. */
function paragraph(para: string, resolve: PetnameResolver, list: TagList): string {
  let out = '';
  let last = 0;
  const text = (s: string) => escapeHtml(s).replace(/\n/g, '<br>');
  for (const m of para.matchAll(TOKEN_PATTERN)) {
    const [whole, tag, handle] = m;
    let link: string | undefined;
    if (tag !== undefined && HAS_LETTER.test(tag)) {
      if (tag.length > MAX_HASHTAG_CHARS) fail('malformed', `a hashtag is at most ${MAX_HASHTAG_CHARS} characters; #${tag.slice(0, 30)}… has ${tag.length}`);
      list.add(`#${hashtagKey(tag)}`, { type: 'Hashtag', name: `#${hashtagKey(tag)}` });
      link = `<a class="mention hashtag" rel="tag">#<span>${escapeHtml(tag)}</span></a>`;
    } else if (handle !== undefined) {
      const did = mentionedDid(handle, resolve);
      if (did !== undefined) {
        list.mention(did, handle);
        link = `<span class="h-card"><a href="${escapeHtml(actorId(did))}" class="u-url mention">@<span>${escapeHtml(handle)}</span></a></span>`;
      }
    }
    if (link === undefined) continue;
    out += text(para.slice(last, m.index)) + link;
    last = m.index + whole.length;
  }
  return out + text(para.slice(last));
}

/** Plain text to `content` HTML with its hashtags and mentions linked, and the tags the post carries. */
export function composeText(text: string, resolve: PetnameResolver = () => undefined): ComposedText {
  const list = new TagList();
  const html = text
    .trim()
    .split(/\n{2,}/)
    .map((para) => `<p>${paragraph(para, resolve, list)}</p>`)
    .join('');
  return { html, tags: list.tags, mentioned: list.mentioned };
}

/** A post's content warning as lists show it: its summary, or "sensitive" when it is marked so without one; null for none. */
export function contentWarningOf(note: JsonObject): string | null {
  if (typeof note.summary === 'string' && note.summary.trim() !== '') return note.summary.trim();
  return note.sensitive === true ? 'sensitive' : null;
}

/**
 * Whom a post is for beside the public: everyone it mentions is a Mention in
 * its tags and copied (`cc`), as AS2 addresses them; a reply mentions the
 * author replied to as well, so their node can tell them. The same for a new
 * post and an edit of one, so an edit's new mentions reach their people too.
 */
export function postAddressing(author: Did, tags: readonly JsonObject[], mentioned: readonly Did[], inReplyTo: unknown): { tag?: JsonObject[]; cc?: string[] } {
  const repliedTo = typeof inReplyTo === 'string' && isApId(inReplyTo) ? didOf(inReplyTo) : undefined;
  const tag = [...tags];
  const addressed = [...mentioned];
  if (repliedTo !== undefined && repliedTo !== author && !addressed.includes(repliedTo)) {
    addressed.push(repliedTo);
    tag.push({ type: 'Mention', href: actorId(repliedTo) });
  }
  const others = addressed.filter((d) => d !== author);
  return {
    ...(tag.length > 0 ? { tag } : {}),
    ...(others.length > 0 ? { cc: [followersId(author), ...others.map(actorId)] } : {}),
  };
}
