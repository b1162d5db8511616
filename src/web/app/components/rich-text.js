import { html } from 'htm/preact';
import { shortDid } from '../format.js';
import { links } from '../router.js';

// Plain text with web addresses, and the hashtags and mentions a post's tags
// name, turned into links. Strings become DOM text nodes through Preact;
// nothing is ever parsed as HTML.
const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,;:!?'")\]}]+$/;
// As the node finds them (core/post-text.ts): not inside a word, an address or an e-mail.
const TOKEN_RE = /(?<![\p{L}\p{N}_@#/&])(?:#([\p{L}\p{N}_]+)|@(did:key:z[1-9A-HJ-NP-Za-km-z]+|[\p{L}\p{N}_](?:[\p{L}\p{N}_.-]*[\p{L}\p{N}_])?))/gu;

/** Hashtags and mentions in text without addresses: linked only when the post's tags name them. */
function tagged(text, hashtags, mentions, out) {
  let last = 0;
  for (const m of text.matchAll(TOKEN_RE)) {
    const [whole, tag, handle] = m;
    let link = null;
    if (tag !== undefined && hashtags.includes(tag.normalize('NFC').toLowerCase())) {
      link = html`<a class="hashtag" href=${links.search(`#${tag}`)} data-testid="post-hashtag">#${tag}</a>`;
    } else if (handle !== undefined) {
      const said = `@${handle}`.toLowerCase();
      const who = mentions.find((x) => x.handle?.toLowerCase() === said || x.did === handle);
      if (who) {
        const label = handle.startsWith('did:key:') ? shortDid(handle) : handle;
        link = html`<a class="mention" href=${links.person(who.did)} title=${who.did} data-testid="post-mention">@${label}</a>`;
      }
    }
    if (!link) continue;
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(link);
    last = m.index + whole.length;
  }
  if (last < text.length) out.push(text.slice(last));
}

export function linkify(text, hashtags = [], mentions = []) {
  const out = [];
  const s = String(text ?? '');
  const plain = (t) => (hashtags.length || mentions.length ? tagged(t, hashtags, mentions, out) : out.push(t));
  let last = 0;
  for (const m of s.matchAll(URL_RE)) {
    let url = m[0];
    const trail = url.match(TRAILING)?.[0] ?? '';
    // keep a closing bracket that has its opening one inside the address
    let keep = 0;
    if (trail.startsWith(')') && url.slice(0, -trail.length).includes('(')) keep = 1;
    const cut = trail.length - keep;
    if (cut > 0) url = url.slice(0, -cut);
    if (m.index > last) plain(s.slice(last, m.index));
    out.push(html`<a href=${url} target="_blank" rel="noopener noreferrer nofollow ugc">${url}</a>`);
    last = m.index + url.length;
  }
  if (last < s.length) plain(s.slice(last));
  return out;
}

/** hashtags: lower-cased names without '#'; mentions: [{ handle, did }] (a post's, from the node). */
export function RichText({ text, class: cls, testid, hashtags, mentions }) {
  return html`<p class=${cls} data-testid=${testid}>${linkify(text, hashtags ?? [], mentions ?? [])}</p>`;
}
