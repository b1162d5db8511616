import { html } from 'htm/preact';

// Plain text with web addresses turned into links. Strings become DOM text
// nodes through Preact; nothing is ever parsed as HTML.
const URL_RE = /\bhttps?:\/\/[^\s<>"]+/gi;
const TRAILING = /[.,;:!?'")\]}]+$/;

export function linkify(text) {
  const out = [];
  let last = 0;
  for (const m of String(text ?? '').matchAll(URL_RE)) {
    let url = m[0];
    const trail = url.match(TRAILING)?.[0] ?? '';
    // keep a closing bracket that has its opening one inside the address
    let keep = 0;
    if (trail.startsWith(')') && url.slice(0, -trail.length).includes('(')) keep = 1;
    const cut = trail.length - keep;
    if (cut > 0) url = url.slice(0, -cut);
    if (m.index > last) out.push(text.slice(last, m.index));
    out.push(html`<a href=${url} target="_blank" rel="noopener noreferrer nofollow ugc">${url}</a>`);
    last = m.index + url.length;
  }
  if (last < String(text ?? '').length) out.push(String(text).slice(last));
  return out;
}

export function RichText({ text, class: cls, testid }) {
  return html`<p class=${cls} data-testid=${testid}>${linkify(text)}</p>`;
}
