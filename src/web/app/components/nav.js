import { html } from 'htm/preact';
import { useStore } from '../hooks.js';
import { dmUnread, unread } from '../state.js';
import { links } from '../router.js';
import { Icon } from './icons.js';

/**
 * The main navigation, built from this list. A new screen adds an entry:
 * id (data-testid nav-<id>), label, href, icon, active(route, me), badge (a store with {count}).
 */
export const NAV_ITEMS = [
  { id: 'home', label: 'Home', href: links.home, icon: 'home', active: (r) => r.name === 'home' || r.name === 'thread' },
  { id: 'search', label: 'Search', href: links.search(''), icon: 'search', active: (r) => r.name === 'search' },
  { id: 'messages', label: 'Messages', href: links.messages, icon: 'mail', badge: dmUnread, active: (r) => r.name === 'messages' || r.name === 'conversation' },
  { id: 'forums', label: 'Forums', href: links.forums, icon: 'forum', active: (r) => r.name === 'forums' || r.name === 'forum' },
  { id: 'notifications', label: 'Notifications', href: links.notifications, icon: 'bell', badge: unread, active: (r) => r.name === 'notifications' },
  { id: 'me', label: 'Profile', href: links.me, icon: 'user', active: (r, me) => r.name === 'profile' && (r.me || r.did === me) },
  { id: 'settings', label: 'Settings', href: links.settings, icon: 'gear', active: (r) => r.name === 'settings' },
];

function Badge({ store }) {
  const { count } = useStore(store);
  if (!count) return null;
  const shown = count > 99 ? '99+' : String(count);
  return html`<span class="nav-badge" aria-hidden="true" data-testid="unread-badge">${shown}</span><span class="visually-hidden">, ${count} unread</span>`;
}

export function Nav({ route, me }) {
  return html` <nav class="nav" aria-label="Main">
    <ul>
      ${NAV_ITEMS.map((item) => {
        const current = item.active(route, me);
        return html` <li key=${item.id}>
          <a
            href=${item.href}
            class=${current ? 'nav-link is-current' : 'nav-link'}
            aria-current=${current ? 'page' : undefined}
            data-testid=${`nav-${item.id}`}
          >
            <span class="nav-icon"><${Icon} name=${item.icon} />${item.badge && html`<${Badge} store=${item.badge} />`}</span>
            <span class="nav-label">${item.label}</span>
          </a>
        </li>`;
      })}
    </ul>
  </nav>`;
}
