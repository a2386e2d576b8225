import type { Context } from 'koa';

/** All values of the named cookie in the request (a browser may send the same name twice). */
export function cookieValues(ctx: Context, name: string): string[] {
  const header = ctx.get('Cookie');
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) out.push(part.slice(eq + 1).trim());
  }
  return out;
}

/** Adds a Set-Cookie header in Go's attribute order (Path, Max-Age, Secure), without HttpOnly or SameSite as Syncthing sends them. */
export function setCookie(ctx: Context, name: string, value: string, attrs: { path?: string; maxAge?: number; secure?: boolean } = {}): void {
  let c = `${name}=${value}`;
  if (attrs.path) c += `; Path=${attrs.path}`;
  if (attrs.maxAge !== undefined) c += `; Max-Age=${attrs.maxAge}`;
  if (attrs.secure) c += '; Secure';
  ctx.append('Set-Cookie', c);
}

/** True when the request arrived over TLS or through a proxy that says it did. */
export function isSecureRequest(ctx: Context): boolean {
  if ((ctx.req.socket as { encrypted?: boolean }).encrypted) return true;
  if (ctx.get('X-Forwarded-Proto').toLowerCase() === 'https') return true;
  return /(^|[;,\s])proto=https/i.test(ctx.get('Forwarded'));
}
