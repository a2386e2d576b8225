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
  '.txt': 'text/plain; charset=utf-8',
};

interface Asset {
  body: Buffer;
  gzip?: Buffer;
  type: string;
}

/**
 * Serves the GUI directory (spec rest-api §2.4): `no-cache, must-revalidate`, an ETag and
 * Last-Modified fixed at start (the assets do not change while we run), 304 on a matching
 * If-None-Match / If-Modified-Since, gzip when the client accepts it. Nothing outside `root` is served.
 */
export function staticGui(root: string, startedMs: number): Middleware {
  const etag = `"${Math.floor(startedMs / 1000).toString(16)}"`;
  const lastModified = new Date(Math.floor(startedMs / 1000) * 1000).toUTCString();
  const cache = new Map<string, Asset | null>();
  const base = path.resolve(root);

  const load = async (rel: string): Promise<Asset | null> => {
    if (cache.has(rel)) return cache.get(rel)!;
    const file = path.resolve(base, '.' + rel);
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
    if (cache.size < 1000) cache.set(rel, asset);
    return asset;
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
    if (rel.endsWith('/')) rel += 'index.html';
    const asset = await load(rel);
    if (!asset) return sendText(ctx, 404, '404 page not found');

    ctx.set('Cache-Control', 'no-cache, must-revalidate');
    ctx.set('ETag', etag);
    ctx.set('Last-Modified', lastModified);
    const inm = ctx.get('If-None-Match');
    const ims = Date.parse(ctx.get('If-Modified-Since'));
    if ((inm && inm === etag) || (!inm && !Number.isNaN(ims) && ims >= Math.floor(startedMs / 1000) * 1000)) {
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
