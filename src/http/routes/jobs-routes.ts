import type { Context } from 'koa';
import type { JobStatus } from '../../services/jobs.js';
import { formatTimeNs, ZERO_TIME } from '../../shared/time-format.js';
import type { HttpDeps } from '../deps.js';
import { HttpError } from '../http-error.js';
import { query } from '../request.js';
import { sendEmpty, sendJson } from '../respond.js';
import type { Route } from '../rest-router.js';

// GET  /rest/jobs           → {"jobids": [N, ...]}
// GET  /rest/jobs/status    jobid
// POST /rest/jobs/stop      jobid

const time = (ms: number) => formatTimeNs(BigInt(Math.round(ms)) * 1_000_000n);

/** A job as rclone's job/status shows it (duration in seconds, so far for a running job). */
export function jobJson(j: JobStatus, nowMs: number): Record<string, unknown> {
  return {
    id: j.id,
    group: j.kind,
    startTime: time(j.startMs),
    endTime: j.endMs === undefined ? ZERO_TIME : time(j.endMs),
    duration: ((j.endMs ?? nowMs) - j.startMs) / 1000,
    finished: j.finished,
    success: j.success,
    error: j.error,
    output: j.output,
    progress: j.progress,
  };
}

function jobId(ctx: Context): number {
  const raw = query(ctx, 'jobid') ?? '';
  if (!/^\d{1,15}$/.test(raw)) throw new HttpError(400, `jobid must be a job number, not ${JSON.stringify(raw)}`);
  return Number(raw);
}

export function jobsRoutes(d: HttpDeps): Route[] {
  return [
    { method: 'GET', path: '/rest/jobs', handler: (ctx) => sendJson(ctx, { jobids: d.jobs.list() }) },
    {
      method: 'GET',
      path: '/rest/jobs/status',
      handler: (ctx) => {
        // An unknown id is AppError('not-found'), which the error middleware answers with 404.
        sendJson(ctx, jobJson(d.jobs.status(jobId(ctx)), d.clock.nowMs()));
      },
    },
    {
      method: 'POST',
      path: '/rest/jobs/stop',
      handler: (ctx) => {
        d.jobs.stop(jobId(ctx));
        sendEmpty(ctx);
      },
    },
  ];
}
