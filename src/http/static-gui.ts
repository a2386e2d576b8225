import fs from 'node:fs/promises';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Context, Middleware } from 'koa';
import { sendText } from './respond.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'application/javascript',
  '.mjs': 'application/javascript',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.ttf': 'font/ttf',
  '.eot': 'application/vnd.ms-fontobject',
  '.gif': 'image/gif',
  '.jpg': 'image/jpeg',
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  gzip?: Buffer;
  type: string;
}

/** Where a theme's assets start in a URL, as Syncthing serves them: /theme-assets/<theme>/<file>. */
const THEME_PREFIX = '/theme-assets/';

/**
 * How a GUI directory is laid out. Syncthing's own (its gui/ tree, what STGUIASSETS points at)
 * has one directory per theme, `default/` among them, and a file missing from the current theme
 * comes from `default/`. Any other directory (the bundled GUI, a custom one) is served as it is,
 * with the one theme "default".
 */
async function layoutOf(base: string): Promise<{ themed: boolean; themes: string[] }> {
  const themed = await fs.stat(path.join(base, 'default', 'index.html')).then((st) => st.isFile(), () => false);
  if (!themed) return { themed, themes: ['default'] };
  const dirs = (await fs.readdir(base, { withFileTypes: true })).filter((e) => e.isDirectory() && e.name !== 'default').map((e) => e.name).sort();
  return { themed, themes: ['default', ...dirs] };
}

/**
 * Serves the GUI directory (spec rest-api §2.4): `no-cache, must-revalidate`, an ETag and
 * Last-Modified fixed at start or at the last theme change, 304 on a matching If-None-Match /
 * If-Modified-Since, gzip when the client accepts it. `/themes.json` lists the themes, and in a
 * Syncthing-style tree the current theme (`theme()`) decides which files are served.
 * Nothing outside `root` is served.
 */
export function staticGui(root: string, startedMs: number, theme: () => string = () => 'default'): Middleware {
  const cache = new Map<string, Asset | null>();
  const base = path.resolve(root);
  // Read once at start; an unreadable tree serves as a flat one (and answers 404s).
  const layout = layoutOf(base).catch(() => ({ themed: false, themes: ['default'] }));
  let current = { theme: theme(), changedS: Math.floor(startedMs / 1000) };

  const load = async (file: string): Promise<Asset | null> => {
    if (cache.has(file)) return cache.get(file)!;
    let asset: Asset | null = null;
    if (file === base || file.startsWith(base + path.sep)) {
      try {
        // A symlink in the GUI directory must not serve a file from outside it.
        const real = await fs.realpath(file);
        const realBase = await fs.realpath(base);
        if (!real.startsWith(realBase + path.sep)) throw new Error('outside the GUI directory');
        const body = await fs.readFile(real);
        const type = TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
        asset = { body, type, gzip: body.length > 512 ? gzipSync(body) : undefined };
      } catch {
        asset = null;
      }
    }
    if (cache.size < 1000) cache.set(file, asset);
    return asset;
  };

  /** The asset for a URL path: flat, or the theme's file, then default's (Syncthing's order). */
  const find = async (rel: string): Promise<Asset | null> => {
    const { themed, themes } = await layout;
    let wanted = current.theme;
    if (rel.startsWith(THEME_PREFIX)) {
      const rest = rel.slice(THEME_PREFIX.length);
      const i = rest.indexOf('/');
      if (i <= 0) return null;
      wanted = rest.slice(0, i);
      rel = rest.slice(i);
      if (!themed) return wanted === 'default' ? load(path.resolve(base, '.' + rel)) : null;
    }
    if (!themed) return load(path.resolve(base, '.' + rel));
    for (const t of themes.includes(wanted) && wanted !== 'default' ? [wanted, 'default'] : ['default']) {
      const a = await load(path.resolve(base, t, '.' + rel));
      if (a) return a;
    }
    return null;
  };

  return async (ctx: Context) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return sendText(ctx, 405, 'Method Not Allowed');
    let rel: string;
    try {
      rel = decodeURIComponent(ctx.path);
    } catch {
      return sendText(ctx, 404, '404 page not found');
    }
    if (rel.includes('\0')) return sendText(ctx, 404, '404 page not found');
    // A theme change changes what every URL serves: caches must see new validators.
    const now = theme();
    if (now !== current.theme) current = { theme: now, changedS: Math.max(current.changedS + 1, Math.floor(Date.now() / 1000)) };
    if (rel === '/themes.json') {
      ctx.set('Cache-Control', 'no-cache, must-revalidate');
      ctx.type = 'application/json; charset=utf-8';
      ctx.body = `${JSON.stringify({ themes: (await layout).themes }, null, 2)}\n`;
      return;
    }
    if (rel.endsWith('/')) rel += 'index.html';
    const asset = await find(rel);
    if (!asset) return sendText(ctx, 404, '404 page not found');

    const etag = `"${current.changedS.toString(16)}"`;
    ctx.set('Cache-Control', 'no-cache, must-revalidate');
    ctx.set('ETag', etag);
    ctx.set('Last-Modified', new Date(current.changedS * 1000).toUTCString());
    const inm = ctx.get('If-None-Match');
    const ims = Date.parse(ctx.get('If-Modified-Since'));
    if ((inm && inm === etag) || (!inm && !Number.isNaN(ims) && ims >= current.changedS * 1000)) {
      ctx.status = 304;
      return;
    }
    ctx.type = asset.type;
    ctx.vary('Accept-Encoding');
    if (asset.gzip && /\bgzip\b/.test(ctx.get('Accept-Encoding'))) {
      ctx.set('Content-Encoding', 'gzip');
      ctx.body = asset.gzip;
    } else ctx.body = asset.body;
  };
}
