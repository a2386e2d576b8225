import type { Clock, Timer } from '../shared/clock.js';
import { AppError, messageOf } from '../shared/errors.js';

/** What a job's work gets: a signal that fires on POST /rest/jobs/stop (progress is read through start()'s `progress`). */
export interface JobContext {
  signal: AbortSignal;
}

export interface JobStatus {
  id: number;
  /** What was called (e.g. "db/scan"). */
  kind: string;
  startMs: number;
  endMs?: number;
  finished: boolean;
  success: boolean;
  error: string;
  output: unknown;
  progress: unknown;
}

interface Job extends JobStatus {
  abort: AbortController;
  progressOf?: () => unknown;
  expiry?: Timer;
}

export interface JobsDeps {
  clock: Clock;
  /** How long a finished job stays visible (rclone's --rc-job-expire-duration). */
  expireMs: number;
  /** At most this many jobs at once (running or not yet expired); more are refused. */
  maxJobs?: number;
}

/**
 * Long calls run as jobs when a client asks with `_async=true`, as rclone's rc does: the call
 * answers at once with a job id, and the job's status, output and progress can be read, and the
 * job stopped, until a while after it finished.
 */
export class JobRegistry {
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;

  constructor(private readonly d: JobsDeps) {}

  /** Starts `work` as a job and returns its id; `progress` is read whenever the status is asked for. */
  start(kind: string, work: (ctx: JobContext) => Promise<unknown>, progress?: () => unknown): number {
    if (this.jobs.size >= (this.d.maxJobs ?? 1000)) throw new AppError('too-large', 'too many jobs; wait for some to finish and expire');
    const id = this.nextId++;
    const job: Job = { id, kind, startMs: this.d.clock.nowMs(), finished: false, success: false, error: '', output: null, progress: null, abort: new AbortController(), progressOf: progress };
    this.jobs.set(id, job);
    const signal = job.abort.signal;
    void Promise.resolve()
      .then(() => work({ signal }))
      .then(
        (output) => {
          if (signal.aborted) this.finish(job, undefined, 'job stopped');
          else this.finish(job, output ?? null, '');
        },
        (err: unknown) => this.finish(job, undefined, signal.aborted ? 'job stopped' : messageOf(err)),
      );
    return id;
  }

  private finish(job: Job, output: unknown, error: string): void {
    job.progress = job.progressOf?.() ?? null;
    job.progressOf = undefined;
    job.finished = true;
    job.endMs = this.d.clock.nowMs();
    job.success = error === '';
    job.error = error;
    job.output = output ?? null;
    job.expiry = this.d.clock.setTimeout(() => this.jobs.delete(job.id), this.d.expireMs);
    (job.expiry as { unref?: () => void }).unref?.();
  }

  /** The ids of every job not yet expired, oldest first. */
  list(): number[] {
    return [...this.jobs.keys()];
  }

  /** The job's state; AppError('not-found') for an unknown or expired id. */
  status(id: number): JobStatus {
    const j = this.get(id);
    const { abort: _a, progressOf, expiry: _e, ...status } = j;
    return { ...status, progress: progressOf ? progressOf() : j.progress };
  }

  /** Asks the job to stop; its work sees the signal and ends as soon as it can. */
  stop(id: number): void {
    this.get(id).abort.abort();
  }

  /** Stops every running job (service shutdown). */
  stopAll(): void {
    for (const j of this.jobs.values()) {
      j.abort.abort();
      if (j.expiry) this.d.clock.clearTimeout(j.expiry);
    }
  }

  private get(id: number): Job {
    const j = this.jobs.get(id);
    if (!j) throw new AppError('not-found', `job not found: ${id}`);
    return j;
  }
}
