import { html } from 'htm/preact';
import { Home } from './views/home.js';
import { Thread } from './views/thread.js';
import { Profile } from './views/profile.js';
import { Notifications } from './views/notifications.js';
import { Settings } from './views/settings.js';
import { Search } from './views/search.js';
import { Forums } from './views/forums.js';
import { Forum } from './views/forum.js';
import { Conversation, Messages } from './views/messages.js';
import { links } from './router.js';

function NotFound() {
  return html` <div class="screen" data-screen="notfound">
    <h1 tabindex="-1">Page not found</h1>
    <p>There is nothing at this address. <a href=${links.home}>Go to Home</a>.</p>
  </div>`;
}

/** The screen for a route (router.js) once the device is paired. */
export function Screen({ route }) {
  switch (route.name) {
    case 'home':
    case 'pair':
      return html`<${Home} />`;
    case 'thread':
      return html`<${Thread} id=${route.id} />`;
    case 'profile':
      return html`<${Profile} did=${route.did} me=${route.me} />`;
    case 'notifications':
      return html`<${Notifications} />`;
    case 'settings':
      return html`<${Settings} />`;
    case 'search':
      return html`<${Search} q=${route.q} />`;
    case 'forums':
      return html`<${Forums} join=${route.join} />`;
    case 'forum':
      return html`<${Forum} did=${route.did} />`;
    case 'messages':
      return html`<${Messages} />`;
    case 'conversation':
      return html`<${Conversation} id=${route.id} />`;
    default:
      return html`<${NotFound} />`;
  }
}
