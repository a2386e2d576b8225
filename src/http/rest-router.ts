import Router from '@koa/router';
import type { Context, Middleware } from 'koa';
import { sendEmpty, sendText } from './respond.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  method: Method;
  /** A @koa/router path, e.g. /rest/config/folders/:id */
  path: string;
  handler: (ctx: Context) => unknown;
}

interface Compiled {
  route: Route;
  exact: RegExp;
  folded: RegExp;
}

function compile(route: Route): Compiled {
  const src = route.path
    .split('/')
    .map((seg) => (seg.startsWith(':') ? '([^/]+)' : seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')))
    .join('/');
  return { route, exact: new RegExp(`^${src}$`), folded: new RegExp(`^${src}$`, 'i') };
}

/** The canonical spelling of `path` for a route it matches case-insensitively. */
function canonicalize(c: Compiled, path: string): string {
  const given = path.split('/');
  return c.route.path
    .split('/')
    .map((seg, i) => (seg.startsWith(':') ? given[i] : seg))
    .join('/');
}

function cleanPath(p: string): string {
  const out: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  return '/' + out.join('/') + (p.endsWith('/') && out.length ? '/' : '');
}

/**
 * The /rest dispatcher: @koa/router for the routes, plus Syncthing's edges (spec rest-api §1.3):
 * unknown path 404 `404 page not found`; known path, wrong method (HEAD included) 405 with Allow;
 * unclean path, trailing slash or wrong letter case → redirect to the canonical path
 * (301 for GET, 307 otherwise, query kept).
 */
export function restRouter(routes: Route[]): Middleware {
  const router = new Router();
  for (const r of routes) router.register(r.path, [r.method], async (ctx: Context) => r.handler(ctx));
  const compiled = routes.map(compile);
  const dispatch = router.routes() as unknown as Middleware;

  const methodsFor = (path: string): string[] => {
    const set = new Set(compiled.filter((c) => c.exact.test(path)).map((c) => c.route.method as string));
    return [...set];
  };

  const redirect = (ctx: Context, target: string): void => {
    const qs = ctx.querystring ? `?${ctx.querystring}` : '';
    const location = target + qs;
    ctx.status = ctx.method === 'GET' ? 301 : 307;
    ctx.set('Location', location);
    if (ctx.method === 'GET') {
      ctx.type = 'text/html; charset=utf-8';
      ctx.body = `<a href="${location.replace(/&/g, '&amp;').replace(/"/g, '&#34;')}">Moved Permanently</a>.\n\n`;
    } else sendEmpty(ctx, 307);
  };

  return async (ctx, next) => {
    const methods = methodsFor(ctx.path);
    if (methods.length > 0) {
      if (methods.includes(ctx.method)) return dispatch(ctx, next);
      ctx.set('Allow', [...methods, 'OPTIONS'].sort().join(', '));
      sendText(ctx, 405, 'Method Not Allowed');
      return;
    }
    const cleaned = cleanPath(ctx.path);
    if (cleaned !== ctx.path && methodsFor(cleaned).length) return redirect(ctx, cleaned);
    const trimmed = cleaned.length > 1 && cleaned.endsWith('/') ? cleaned.slice(0, -1) : cleaned;
    if (trimmed !== ctx.path && methodsFor(trimmed).length) return redirect(ctx, trimmed);
    const folded = compiled.find((c) => c.folded.test(trimmed));
    if (folded) return redirect(ctx, canonicalize(folded, trimmed));
    sendText(ctx, 404, '404 page not found');
  };
}
