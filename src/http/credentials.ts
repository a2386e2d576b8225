import type { Context } from 'koa';

/** The API key a request presents, from X-API-Key or `Authorization: Bearer` (prefix case-insensitive). */
export function presentedKeys(ctx: Context): string[] {
  const keys: string[] = [];
  const x = ctx.get('X-API-Key').trim();
  if (x) keys.push(x);
  const m = /^bearer (.*)$/i.exec(ctx.get('Authorization'));
  if (m && m[1]) keys.push(m[1]);
  return keys;
}

/**
 * Basic credentials as two readings of the same bytes: UTF-8 first, then ISO-8859-1 (what older
 * browsers send for non-ASCII passwords), as Syncthing retries.
 */
export function basicCredentials(ctx: Context): { user: string; pass: string }[] | undefined {
  const m = /^basic\s+(.+)$/i.exec(ctx.get('Authorization'));
  if (!m) return undefined;
  const bytes = Buffer.from(m[1]!.trim(), 'base64');
  const readings: { user: string; pass: string }[] = [];
  for (const enc of ['utf8', 'latin1'] as const) {
    const text = bytes.toString(enc);
    const colon = text.indexOf(':');
    if (colon < 0) return undefined;
    readings.push({ user: text.slice(0, colon), pass: text.slice(colon + 1) });
  }
  return readings;
}

/** The client's IP for LoginAttempt; X-Forwarded-For is believed only from a loopback or private peer. */
export function remoteAddress(ctx: Context): { remoteAddress: string; proxy?: string } {
  const peer = (ctx.req.socket.remoteAddress ?? '').replace(/^::ffff:/, '');
  const trusted = /^(127\.|10\.|192\.168\.|172\.(1[6-9]|2\d|3[01])\.|169\.254\.|::1$|f[cd]|fe80:)/i.test(peer) || peer === '';
  const fwd = ctx.get('X-Forwarded-For').split(',')[0]?.trim();
  if (trusted && fwd) return { remoteAddress: fwd, proxy: peer };
  return { remoteAddress: peer };
}
