// Media this node does not hold yet answers 404: reading never fetches from peers, since
// fetching pins the content and takes storage, a change the app asks for on its own
// (POST /api/media/fetch). An image, video or sound that fails to load asks for it once,
// and loads again when the node has it all.

import { post } from './api.js';

/** The urn:eris capability an /api/media/… address shows, or null for any other address. */
function urnOf(src) {
  try {
    const m = /^\/api\/media\/([^/]+)$/.exec(new URL(src, location.href).pathname);
    return m ? decodeURIComponent(m[1]) : null;
  } catch {
    return null;
  }
}

/** The error handler of an <img>, <video> or <audio> showing media from the node. */
export function fetchMissingMedia(e) {
  const el = e.currentTarget;
  const urn = urnOf(el.currentSrc || el.src);
  if (!urn || el.dataset.fetched) return;
  el.dataset.fetched = 'true';
  post('/api/media/fetch', { urn }).then(
    (r) => {
      if (!r?.complete) return;
      if (el instanceof HTMLMediaElement) el.load();
      // Setting src again, even to the same address, makes an image load again.
      else el.setAttribute('src', el.getAttribute('src'));
    },
    (err) => console.warn(`kith: could not fetch media from peers: ${err.message}`),
  );
}
