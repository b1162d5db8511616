// Formatting helpers: names, times, sizes.

export function shortDid(did) {
  if (!did) return '';
  const key = did.startsWith('did:key:') ? did.slice(8) : did;
  return key.length > 16 ? `${key.slice(0, 10)}…${key.slice(-4)}` : key;
}

/** How a person is named: your petname for them, else the name they chose, else the start of their key. */
export function displayName(person) {
  if (!person) return 'Someone';
  return person.petname?.trim() || person.name?.trim() || shortDid(person.did);
}

const fullDate = new Intl.DateTimeFormat(undefined, { dateStyle: 'full', timeStyle: 'short' });
const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const dayMonthYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });
const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

export function fullTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '' : fullDate.format(d);
}

export function mediumTime(iso) {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? '—' : dateTime.format(d);
}

/** "now", "5m", "3h", "2d", "12 Mar", "12 Mar 2024". */
export function relativeTime(iso, now = Date.now()) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const s = Math.round((now - d.getTime()) / 1000);
  if (s < 45) return 'now';
  if (s < 3600) return `${Math.max(1, Math.round(s / 60))}m`;
  if (s < 86400) return `${Math.round(s / 3600)}h`;
  if (s < 7 * 86400) return `${Math.round(s / 86400)}d`;
  return d.getFullYear() === new Date(now).getFullYear() ? dayMonth.format(d) : dayMonthYear.format(d);
}

/** "in 4:32" style countdown text for an expiry time; '' once past. */
export function countdown(iso, now = Date.now()) {
  const left = Math.floor((new Date(iso).getTime() - now) / 1000);
  if (!(left > 0)) return '';
  const m = Math.floor(left / 60);
  const s = String(left % 60).padStart(2, '0');
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m}:${s}`;
}

export function bytes(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} ${v === 1 ? 'byte' : 'bytes'}` : `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

export function plural(n, one, many = `${one}s`) {
  return `${typeof n === 'number' ? n.toLocaleString() : n} ${n === 1 ? one : many}`;
}

/** "Chromium on Linux", from User-Agent Client Hints or the UA string. */
export function deviceNameGuess() {
  const ua = navigator.userAgent || '';
  let browser = 'Browser';
  const brands = navigator.userAgentData?.brands?.map((b) => b.brand) ?? [];
  const known = ['Microsoft Edge', 'Opera', 'Brave', 'Vivaldi', 'Google Chrome', 'Samsung Internet'];
  const brand = known.find((k) => brands.includes(k));
  if (brand) browser = brand === 'Google Chrome' ? 'Chrome' : brand === 'Microsoft Edge' ? 'Edge' : brand;
  else if (/Edg\//.test(ua)) browser = 'Edge';
  else if (/OPR\//.test(ua)) browser = 'Opera';
  else if (/SamsungBrowser/.test(ua)) browser = 'Samsung Internet';
  else if (/Firefox\//.test(ua) || /FxiOS/.test(ua)) browser = 'Firefox';
  else if (brands.includes('Chromium') || /Chromium|HeadlessChrome/.test(ua)) browser = 'Chromium';
  else if (/Chrome\/|CriOS/.test(ua)) browser = 'Chrome';
  else if (/Safari\//.test(ua)) browser = 'Safari';
  let os = navigator.userAgentData?.platform || '';
  if (!os || os === 'Unknown') {
    if (/Android/.test(ua)) os = 'Android';
    else if (/iPhone|iPod/.test(ua)) os = 'iPhone';
    else if (/iPad/.test(ua)) os = 'iPad';
    else if (/Windows/.test(ua)) os = 'Windows';
    else if (/Mac OS X|Macintosh/.test(ua)) os = navigator.maxTouchPoints > 1 ? 'iPad' : 'macOS';
    else if (/CrOS/.test(ua)) os = 'ChromeOS';
    else if (/Linux/.test(ua)) os = 'Linux';
  }
  if (os === 'Chrome OS') os = 'ChromeOS';
  return (os ? `${browser} on ${os}` : browser).slice(0, 64);
}
