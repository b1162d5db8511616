/**
 * XML Schema / ISO 8601 date-times as Kith accepts them. Date.parse alone
 * silently rolls impossible dates over (2025-02-30 becomes 2 March), so the
 * calendar is checked first.
 */
export const XSD_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Milliseconds since the epoch, or NaN when the string is not a real date-time. */
export function parseDateTime(s: unknown): number {
  if (typeof s !== 'string' || !XSD_DATETIME.test(s)) return NaN;
  const [y, m, d] = s.slice(0, 10).split('-').map(Number) as [number, number, number];
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  if (days === undefined || d < 1 || d > days) return NaN;
  return Date.parse(s);
}

/** To the second, as proofs and certificates write times. */
export function isoSeconds(d: Date | number): string {
  return new Date(d).toISOString().replace(/\.\d{3}Z$/, 'Z');
}
