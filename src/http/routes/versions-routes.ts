import type { Context } from 'koa';
import { messageOf } from '../../shared/errors.js';
import { formatTimeSeconds, parseRfc3339Ns } from '../../shared/time-format.js';
import type { HttpDeps } from '../deps.js';
import { asyncRequested } from '../async-flag.js';
import { HttpError } from '../http-error.js';
import { jsonBody, query } from '../request.js';
import { sendJson } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET  /rest/folder/versions   folder
// POST /rest/folder/versions   folder [_async]; body {"<path>": "<RFC 3339 version time>", ...}

/** Every failure of these routes is a 500 with the message, as in Syncthing (unknown folder included). */
async function or500<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(500, messageOf(err));
  }
}

/**
 * The restore body: an object of path → RFC 3339 time. Syncthing decodes it into
 * map[string]time.Time and answers any failure 500; so do we, naming the problem.
 */
function restoreBody(ctx: Context): Map<string, number> {
  const body = jsonBody(ctx, 500);
  if (body !== null && (typeof body !== 'object' || Array.isArray(body))) {
    const kind = Array.isArray(body) ? 'array' : typeof body === 'boolean' ? 'bool' : typeof body;
    throw new HttpError(500, `json: cannot unmarshal ${kind} into Go value of type map[string]time.Time`);
  }
  if (body === null) throw new HttpError(500, 'body must be an object of file path to version time');
  const out = new Map<string, number>();
  for (const [name, value] of Object.entries(body as Record<string, unknown>)) {
    if (name === '_async' && typeof value === 'boolean') continue; // the job flag, not a file
    const ns = typeof value === 'string' ? parseRfc3339Ns(value) : undefined;
    if (ns === undefined) throw new HttpError(500, `version time of ${JSON.stringify(name)} is not an RFC 3339 time string`);
    out.set(name, Number(ns / 1_000_000n));
  }
  return out;
}

export function versionsRoutes(d: HttpDeps): Route[] {
  const folder = (ctx: Context) => query(ctx, 'folder') ?? '';
  return [
    {
      method: 'GET',
      path: '/rest/folder/versions',
      handler: async (ctx) => {
        const all = await or500(() => d.folders.versions(folder(ctx)));
        // A Go map: paths sorted bytewise; each version a struct in field order.
        const out: Record<string, unknown> = {};
        for (const name of [...all.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))) {
          out[name] = all.get(name)!.map((v) => ({ versionTime: formatTimeSeconds(v.versionTimeMs), modTime: formatTimeSeconds(v.modTimeMs), size: v.size }));
        }
        sendJson(ctx, out);
      },
    },
    {
      method: 'POST',
      path: '/rest/folder/versions',
      handler: async (ctx) => {
        const wantJob = asyncRequested(ctx);
        const wanted = restoreBody(ctx);
        const id = folder(ctx);
        const answer = (failed: Map<string, string>) => Object.fromEntries([...failed.entries()].sort(([a], [b]) => Buffer.compare(Buffer.from(a), Buffer.from(b))));
        if (wantJob) return sendJson(ctx, { jobid: d.jobs.start('folder/versions', async ({ signal }) => answer(await d.folders.restoreVersions(id, wanted, signal))) });
        sendJson(ctx, answer(await or500(() => d.folders.restoreVersions(id, wanted))));
      },
    },
  ];
}
