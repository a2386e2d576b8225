/**
 * Go's JSON time format: RFC 3339 in the server's local zone with a numeric offset, the fraction
 * of a second trimmed of trailing zeros (absent when zero), and "Z" only for a zero offset.
 * `new Date().toISOString()` is not this: it always says Z and always has milliseconds.
 */

export const ZERO_TIME = '0001-01-01T00:00:00Z';

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

function offsetSuffix(offsetMin: number): string {
  if (offsetMin === 0) return 'Z';
  const sign = offsetMin > 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  return `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Formats nanoseconds since the epoch in local time, Go style. */
export function formatTimeNs(ns: bigint): string {
  const ms = Number(ns / 1_000_000n);
  const subSecondNs = Number(((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n);
  const d = new Date(ms);
  const offsetMin = -d.getTimezoneOffset();
  let frac = '';
  if (subSecondNs !== 0) frac = '.' + String(subSecondNs).padStart(9, '0').replace(/0+$/, '');
  return (
    `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}` +
    `T${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${frac}${offsetSuffix(offsetMin)}`
  );
}

/** Formats milliseconds since the epoch, truncated to whole seconds (as Syncthing does for startTime, lastSeen…). */
export function formatTimeSeconds(ms: number): string {
  return formatTimeNs(BigInt(Math.floor(ms / 1000)) * 1_000_000_000n);
}

/** Parses an RFC 3339 time into nanoseconds since the epoch; undefined when it is not one. */
export function parseRfc3339Ns(text: string): bigint | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})$/.exec(text);
  if (!m) return undefined;
  const [, y, mo, da, h, mi, s, frac = '', zone = 'Z'] = m;
  let ms = Date.UTC(+y!, +mo! - 1, +da!, +h!, +mi!, +s!);
  if (Number.isNaN(ms)) return undefined;
  if (zone !== 'Z' && zone !== 'z') {
    const sign = zone[0] === '-' ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return BigInt(ms) * 1_000_000n + BigInt(frac.padEnd(9, '0') || '0');
}
