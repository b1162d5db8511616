// Hash routes: #/, #/thread?id=, #/messages, #/messages/<conversation>, #/people/<did>, #/me, #/notifications, #/search?q=, #/settings, #/forums, #/forums/<did>,
// #/forums/join?forum=&token= (an invitation link), #pair=CODE,
// #account=CODE (a hosted account's code, opened on the person's own device).

import { useEffect, useState } from 'preact/hooks';

export function parseHash(hash) {
  const h = (hash || '').replace(/^#/, '');
  if (h.startsWith('pair=')) return { name: 'pair', code: safeDecode(h.slice(5)) };
  if (h.startsWith('account=')) return { name: 'account', code: safeDecode(h.slice(8)) };
  const q = h.indexOf('?');
  const path = (q < 0 ? h : h.slice(0, q)).replace(/^\/+|\/+$/g, '');
  const params = new URLSearchParams(q < 0 ? '' : h.slice(q + 1));
  const [first, ...rest] = path.split('/');
  switch (first) {
    case '':
    case 'home':
      return { name: 'home' };
    case 'thread':
      return { name: 'thread', id: params.get('id') || '' };
    case 'people':
      return { name: 'profile', did: safeDecode(rest.join('/')) };
    case 'me':
      return { name: 'profile', me: true };
    case 'notifications':
      return { name: 'notifications' };
    case 'settings':
      return { name: 'settings' };
    case 'search':
      return { name: 'search', q: params.get('q') || '' };
    case 'messages':
      return rest.length > 0 ? { name: 'conversation', id: safeDecode(rest.join('/')) } : { name: 'messages' };
    case 'forums':
      if (rest[0] === 'join')
        return { name: 'forums', join: { forum: params.get('forum') || '', token: params.get('token') || '', via: params.get('via') || '' } };
      return rest.length > 0 ? { name: 'forum', did: safeDecode(rest.join('/')) } : { name: 'forums' };
    default:
      return { name: 'notfound' };
  }
}

function safeDecode(s) {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

export function useRoute() {
  const [route, setRoute] = useState(() => parseHash(location.hash));
  useEffect(() => {
    const update = () => setRoute(parseHash(location.hash));
    addEventListener('hashchange', update);
    return () => removeEventListener('hashchange', update);
  }, []);
  return route;
}

export const links = {
  home: '#/',
  me: '#/me',
  notifications: '#/notifications',
  settings: '#/settings',
  thread: (id) => `#/thread?id=${encodeURIComponent(id)}`,
  person: (did) => `#/people/${did}`,
  forums: '#/forums',
  messages: '#/messages',
  conversation: (id) => `#/messages/${encodeURIComponent(id)}`,
  forum: (did) => `#/forums/${did}`,
  search: (q) => (q ? `#/search?q=${encodeURIComponent(q)}` : '#/search'),
};

export function go(href) {
  if (location.hash !== href) location.hash = href;
}

/** Moves focus to the heading of the screen shown next (after pairing or logging in). */
export function focusHeadingSoon() {
  setTimeout(() => document.querySelector('#main h1')?.focus(), 60);
}
