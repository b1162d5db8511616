import { fail } from './errors.js';
import { htmlToText } from './html-text.js';
import { hashtagKey } from './post-text.js';
import { MAX_SEARCH_QUERY_CHARS, MAX_SEARCH_TERMS } from './constants.js';
import { isJsonObject, type Json, type JsonObject } from './types.js';

/**
 * What the search index holds of a stored object, and how a person's words
 * become an FTS5 query. Every word is quoted, so nothing typed (AND, NEAR,
 * a stray quote or parenthesis, column names) is ever FTS5 syntax: a query
 * cannot throw, and it cannot reach other columns than the one meant.
 */

/** Kinds of post the index holds, as the reading views show them. */
const POST_TYPES: ReadonlySet<string> = new Set(['Note', 'Article', 'Question', 'Page', 'Event']);
/** Text of one post the index takes; a post is capped far below this anyway. */
const MAX_INDEXED_CHARS = 20_000;

export interface Searchable {
  /** The words of the post: its warning, its text (HTML stripped), its images' descriptions. */
  readonly text: string;
  /** Its hashtags, lower-cased, without '#', separated by spaces. */
  readonly tags: string;
}

function listOf(v: Json | undefined): Json[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

/** The post a stored object is (a Note, or the Note a Create carries), or undefined. */
function postIn(doc: JsonObject): JsonObject | undefined {
  const post = doc.type === 'Create' ? doc.object : doc;
  return isJsonObject(post) && typeof post.type === 'string' && POST_TYPES.has(post.type) ? post : undefined;
}

/** The searchable words of an object's signed body (JSON text), or undefined for anything that is not a post. */
export function searchableOf(body: string): Searchable | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(body);
  } catch {
    // Only well-formed JSON is ever stored; anything else is not a post to index.
    return undefined;
  }
  const post = isJsonObject(doc) ? postIn(doc) : undefined;
  if (!post) return undefined;
  const source = isJsonObject(post.source) && typeof post.source.content === 'string' ? post.source.content : undefined;
  const words = [
    typeof post.summary === 'string' ? htmlToText(post.summary) : '',
    source ?? (typeof post.content === 'string' ? htmlToText(post.content) : ''),
    ...listOf(post.attachment).map((a) => (isJsonObject(a) && typeof a.name === 'string' ? a.name : '')),
  ];
  const tags = listOf(post.tag)
    .slice(0, 64)
    .flatMap((t) => (isJsonObject(t) && t.type === 'Hashtag' && typeof t.name === 'string' ? [hashtagKey(t.name.replace(/^#/, ''))] : []));
  return {
    text: words
      .filter((w) => w.length > 0)
      .join('\n')
      .slice(0, MAX_INDEXED_CHARS),
    tags: tags.join(' '),
  };
}

export interface SearchQuery {
  /** The FTS5 expression for posts: every word quoted, hashtags matched in the tags column only. */
  readonly posts: string;
  /** The FTS5 expression for people's names and petnames: every word a quoted prefix. */
  readonly people: string;
  /** The words as they count, for showing what was searched. */
  readonly terms: readonly string[];
}

const WORDY = /[\p{L}\p{N}]/u;

function quoted(term: string): string {
  return `"${term.replace(/"/g, '""')}"`;
}

/**
 * A person's search as FTS5 expressions. Words are matched all together; a
 * word starting with '#' matches that hashtag; the last word also matches
 * as the start of a word, so a search finds "kittens" from "kitt". Words
 * made only of punctuation match nothing, so they are left out; a query of
 * nothing else is refused.
 */
export function searchQuery(input: string): SearchQuery {
  if (input.length > MAX_SEARCH_QUERY_CHARS) fail('malformed', `a search is at most ${MAX_SEARCH_QUERY_CHARS} characters; this one has ${input.length}`);
  // Control characters are never part of a word, and would reach the terminal that shows the query back.
  const terms = input
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .split(/\s+/)
    .filter((t) => WORDY.test(t))
    .slice(0, MAX_SEARCH_TERMS);
  if (terms.length === 0) fail('malformed', 'search for a word, a #hashtag, a name or a did:key');
  const posts = terms.map((t, i) => {
    if (t.startsWith('#')) return `tags : ${quoted(hashtagKey(t.slice(1)))}`;
    return i === terms.length - 1 ? `${quoted(t)} *` : quoted(t);
  });
  const people = terms.map((t) => `${quoted(t.replace(/^[@#]/, ''))} *`);
  return { posts: posts.join(' '), people: people.join(' '), terms };
}
