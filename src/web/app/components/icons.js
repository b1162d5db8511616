import { html } from 'htm/preact';

const paths = {
  home: 'M3 10.5 12 3l9 7.5V20a1 1 0 0 1-1 1h-5v-6h-6v6H4a1 1 0 0 1-1-1z',
  bell: 'M6 16V11a6 6 0 1 1 12 0v5l2 2H4zm4 3a2 2 0 0 0 4 0',
  user: 'M12 12a4.5 4.5 0 1 0 0-9 4.5 4.5 0 0 0 0 9zm-8 9c.8-4 4-6.5 8-6.5s7.2 2.5 8 6.5',
  gear: 'M12 15.5a3.5 3.5 0 1 0 0-7 3.5 3.5 0 0 0 0 7zM19.4 13.5l1.8 1.4-2 3.4-2.1-.8a7.6 7.6 0 0 1-2 1.2L14.8 21h-4l-.3-2.3a7.6 7.6 0 0 1-2-1.2l-2.1.8-2-3.4 1.8-1.4a7.7 7.7 0 0 1 0-2.9L4.4 9.2l2-3.4 2.1.8a7.6 7.6 0 0 1 2-1.2L10.8 3h4l.3 2.3a7.6 7.6 0 0 1 2 1.2l2.1-.8 2 3.4-1.8 1.4a7.7 7.7 0 0 1 0 2.9z',
  reply: 'M10 8V4L3 11l7 7v-4c5 0 8.5 1.6 11 5-1-5-4-10-11-11z',
  image: 'M4 5h16v14H4zM4 16l5-5 4 4 3-3 4 4M15 9.5a1 1 0 1 0 0-.01',
  close: 'M6 6l12 12M18 6 6 18',
  mail: 'M3 6h18v12H3zM3 6l9 7 9-7',
  forum: 'M4 5h12v8H9l-4 3v-3H4zM16 9h4v8h-1v3l-4-3h-4v-2',
  search: 'M10.5 17a6.5 6.5 0 1 0 0-13 6.5 6.5 0 0 0 0 13zM15.5 15.5 21 21',
  back: 'M15 5l-7 7 7 7',
  forward: 'M9 5l7 7-7 7',
  heart: 'M12 20s-7-4.4-9-9a4.8 4.8 0 0 1 9-3 4.8 4.8 0 0 1 9 3c-2 4.6-9 9-9 9z',
  boost: 'M7 4 3 8l4 4M3 8h13a4 4 0 0 1 4 4v1M17 20l4-4-4-4M21 16H8a4 4 0 0 1-4-4v-1',
  edit: 'M4 20h4L19 9l-4-4L4 16zM14 6l4 4',
  trash: 'M4 7h16M10 11v6M14 11v6M6 7l1 13h10l1-13M9 7V4h6v3',
  lock: 'M6 11h12v9H6zM8.5 11V8a3.5 3.5 0 0 1 7 0v3',
};

/** A stroke icon, hidden from assistive tech (the button or link carries the words). */
export function Icon({ name }) {
  return html`<svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false"><path d=${paths[name]} /></svg>`;
}
