import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import { get, query } from '../api.js';
import { displayName, plural } from '../format.js';
import { useTitle } from '../hooks.js';
import { go, links } from '../router.js';
import { Alert, errorText } from '../components/alert.js';
import { Avatar } from '../components/avatar.js';
import { NameNote } from '../components/person-name.js';
import { Post } from '../components/post.js';

/** The most characters a search has (the node's limit). */
const MAX_QUERY = 200;

function PersonRow({ person }) {
  return html` <li class="person-row" data-testid="search-person">
    <a class="person-row-link" href=${links.person(person.did)}>
      <${Avatar} person=${person} />
      <span class="person-row-name">${displayName(person)}</span>
    </a>
    <${NameNote} person=${person} class="muted" />
    ${person.following && html`<span class="badge">Following</span>`}
  </li>`;
}

/**
 * Search what this node holds (#/search?q=…): posts by their words and
 * #hashtags, people by their name, your name for them, or their key. A new
 * search is a new address, so Back returns to the last one.
 */
export function Search({ q }) {
  const [text, setText] = useState(q);
  const [state, setState] = useState({ loading: false, error: '', result: null });
  useTitle(q ? `Search: ${q}` : 'Search');

  useEffect(() => {
    if (!q) return;
    let live = true;
    setState({ loading: true, error: '', result: null });
    get(`/api/search${query({ q })}`).then(
      (result) => live && setState({ loading: false, error: '', result }),
      (e) => live && setState({ loading: false, error: errorText(e), result: null }),
    );
    return () => {
      live = false;
    };
  }, [q]);

  function submit(e) {
    e.preventDefault();
    const t = text.trim();
    if (t) go(links.search(t));
  }

  const r = state.result;
  const nothing = r && r.people.length === 0 && r.posts.length === 0;
  return html` <div class="screen" data-screen="search">
    <h1 tabindex="-1">Search</h1>
    <form class="card search-form" role="search" onSubmit=${submit}>
      <label for="search-input">Search posts and people</label>
      <p class="muted field-hint" id="search-hint">Words, a #hashtag, a name or a key. Only what your node holds is searched.</p>
      <div class="row">
        <input
          id="search-input"
          type="search"
          maxlength=${MAX_QUERY}
          enterkeyhint="search"
          aria-describedby="search-hint"
          data-testid="search-input"
          value=${text}
          onInput=${(e) => setText(e.currentTarget.value)}
        />
        <button type="submit" class="button button--primary" data-testid="search-submit">Search</button>
      </div>
    </form>
    <${Alert} message=${state.error} />
    ${state.loading && html`<p class="muted" role="status"><span class="spinner" aria-hidden="true"></span> Searching…</p>`}
    ${nothing && html`<p class="empty" role="status" data-testid="search-empty">Nothing here matches “${q}”.</p>`}
    ${
      r &&
      r.people.length > 0 &&
      html` <section aria-labelledby="search-people-h">
        <h2 class="section-title" id="search-people-h">People</h2>
        <ul class="card person-list">
          ${r.people.map((p) => html`<${PersonRow} key=${p.did} person=${p} />`)}
        </ul>
      </section>`
    }
    ${
      r &&
      r.posts.length > 0 &&
      html` <section class="post-list" aria-labelledby="search-posts-h" data-testid="search-posts">
        <h2 class="section-title" id="search-posts-h">Posts <span class="muted">(${plural(r.posts.length, 'post')}, newest first)</span></h2>
        ${r.posts.map((p) => html`<${Post} key=${p.id} post=${p} />`)}
      </section>`
    }
  </div>`;
}
