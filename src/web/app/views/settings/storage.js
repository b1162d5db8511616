import { html } from 'htm/preact';
import { get } from '../../api.js';
import { bytes, plural } from '../../format.js';
import { Alert } from '../../components/alert.js';
import { Section, useLoad } from './section.js';

export function Storage() {
  const storage = useLoad(() => get('/api/storage'));
  const s = storage.data;
  const b = s?.blocks ?? {};
  const quota = b.quotaBytes > 0 ? b.quotaBytes : 0;
  return html` <${Section} id="storage" title="Storage">
    <${Alert} message=${storage.error} />
    ${
      s &&
      html` <dl class="stats" data-testid="storage">
          <div>
            <dt>Objects</dt>
            <dd>${(s.objects ?? 0).toLocaleString()}</dd>
          </div>
          <div>
            <dt>Database</dt>
            <dd>${bytes(s.databaseBytes)}</dd>
          </div>
          <div>
            <dt>Media</dt>
            <dd>
              ${bytes(b.bytes)}${quota ? ` of ${bytes(quota)}` : ''}
              <span class="stat-note" data-testid="storage-blocks" data-count=${b.blocks ?? 0}>${plural(b.blocks ?? 0, 'block')}</span>
            </dd>
          </div>
          <div>
            <dt>Kept media</dt>
            <dd>${bytes(b.pinnedBytes)}</dd>
          </div>
        </dl>
        ${
          quota > 0 &&
          html` <label class="meter-label" for="media-meter">Media space used: ${Math.round((100 * (b.bytes ?? 0)) / quota)}%</label>
            <progress id="media-meter" class="meter" max=${quota} value=${Math.min(b.bytes ?? 0, quota)}></progress>`
        }`
    }
  <//>`;
}
