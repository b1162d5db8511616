import { html } from 'htm/preact';
import { useEffect, useRef } from 'preact/hooks';
import { Icon } from './icons.js';
import { fetchMissingMedia } from '../media.js';

/**
 * A post's images, one at a time, over the page (a modal <dialog>): the
 * image as large as the window allows, with its description. Escape, the
 * close button or a click beside the image closes it; the arrow keys step
 * through several. The browser returns focus to the image that opened it.
 */
export function ImageViewer({ images, index, onIndex, onClose }) {
  const dialog = useRef(null);
  const a = images[index];
  const many = images.length > 1;

  useEffect(() => {
    const d = dialog.current;
    if (d && !d.open) d.showModal();
  }, []);

  function step(by) {
    onIndex((index + by + images.length) % images.length);
  }

  function onKeyDown(e) {
    if (!many) return;
    if (e.key === 'ArrowRight') {
      e.preventDefault();
      step(1);
    } else if (e.key === 'ArrowLeft') {
      e.preventDefault();
      step(-1);
    }
  }

  // A click on the backdrop lands on the dialog itself; a click on the image or the buttons does not.
  function onClick(e) {
    if (e.target === dialog.current || e.target.classList?.contains('viewer-stage')) dialog.current.close();
  }

  const alt = a?.name?.trim() ?? '';
  return html` <dialog
    ref=${dialog}
    class="viewer"
    data-testid="viewer"
    aria-label=${many ? `Image ${index + 1} of ${images.length}` : 'Image'}
    onClose=${onClose}
    onKeyDown=${onKeyDown}
    onClick=${onClick}
  >
    <figure class="viewer-figure">
      <div class="viewer-stage">
        <img class="viewer-image" src=${a?.src} alt=${alt || 'Image without a description'} data-testid="viewer-image" onError=${fetchMissingMedia} />
      </div>
      <figcaption class="viewer-caption">
        ${many && html`<span class="viewer-count">${index + 1} / ${images.length}</span>`}
        ${
          alt
            ? html`<span class="viewer-alt" data-testid="viewer-alt">${alt}</span>`
            : html`<span class="viewer-alt viewer-alt--none" data-testid="viewer-alt">No description was given for this image.</span>`
        }
      </figcaption>
    </figure>
    <button
      type="button"
      class="viewer-button viewer-close"
      onClick=${() => dialog.current.close()}
      aria-label="Close image"
      data-testid="viewer-close"
      autofocus
    >
      <${Icon} name="close" />
    </button>
    ${
      many &&
      html` <button type="button" class="viewer-button viewer-prev" onClick=${() => step(-1)} aria-label="Previous image"><${Icon} name="back" /></button>
        <button type="button" class="viewer-button viewer-next" onClick=${() => step(1)} aria-label="Next image"><${Icon} name="forward" /></button>`
    }
  </dialog>`;
}
