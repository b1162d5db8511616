import { didOf, isApId } from '../core/apid.js';
import { MAX_CONTENT_WARNING_CHARS, MAX_POST_TAGS } from '../core/constants.js';
import { hashtagKey } from '../core/post-text.js';
import { isJsonObject, type Did, type Json, type JsonObject } from '../core/types.js';

/**
 * What a post carries besides its text, as the web app shows it: its content
 * warning, and the hashtags and mentions its text links (the app finds them
 * in the text, and links only what the post's tags name).
 */

export interface MentionView {
  /** As the text wrote it, with its '@' ("@Mum", "@did:key:z6Mk…"). */
  readonly handle: string | null;
  readonly did: Did;
}

export interface PostExtras {
  /** The content warning, shown instead of the post until it is opened; null for none. */
  readonly summary: string | null;
  /** Hidden behind a warning (true whenever there is one). */
  readonly sensitive: boolean;
  /** Its hashtags, lower-cased, without '#'. */
  readonly hashtags: string[];
  readonly mentions: MentionView[];
}

function listOf(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

export function postExtras(note: JsonObject): PostExtras {
  const summary = typeof note.summary === 'string' && note.summary.trim().length > 0 ? note.summary.slice(0, MAX_CONTENT_WARNING_CHARS) : null;
  const hashtags: string[] = [];
  const mentions: MentionView[] = [];
  for (const t of listOf(note.tag).slice(0, MAX_POST_TAGS)) {
    if (!isJsonObject(t)) continue;
    if (t.type === 'Hashtag' && typeof t.name === 'string') hashtags.push(hashtagKey(t.name.replace(/^#/, '')).slice(0, 100));
    if (t.type === 'Mention' && isApId(t.href)) {
      mentions.push({ handle: typeof t.name === 'string' ? t.name.slice(0, 200) : null, did: didOf(t.href) });
    }
  }
  return { summary, sensitive: summary !== null || note.sensitive === true, hashtags, mentions };
}
