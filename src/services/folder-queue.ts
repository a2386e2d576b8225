import { AppError } from '../shared/errors.js';

/** One queued job: it gets a signal that aborts when the caller gives up or the folder stops. */
export type FolderJob<T> = (signal: AbortSignal) => Promise<T>;

interface Entry {
  job: FolderJob<unknown>;
  signal: AbortSignal;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  drop: () => void;
}

/**
 * A folder's one queue. Scans, reverts, overrides, version restores, cleanups (and the puller
 * to come) run through it one at a time, in arrival order, so no two of them ever move, archive or
 * replace the same path at once. Stopping aborts the running job's signal and refuses the
 * waiting ones at once, and a caller that gives up leaves the queue at once: a pause or a removal
 * never waits behind work nobody wants any more.
 */
export class FolderQueue {
  private readonly entries: Entry[] = [];
  private readonly stopper = new AbortController();
  private running?: Promise<void>;

  /** Aborted once the folder stops. */
  get stopSignal(): AbortSignal {
    return this.stopper.signal;
  }

  get stopped(): boolean {
    return this.stopper.signal.aborted;
  }

  /** Jobs waiting behind the running one. */
  get length(): number {
    return this.entries.length;
  }

  /**
   * Runs `job` after everything queued before it; resolves or rejects with its result. If
   * `signal` aborts before the job's turn, it leaves the queue and rejects with the signal's reason.
   */
  run<T>(job: FolderJob<T>, signal?: AbortSignal): Promise<T> {
    if (this.stopped) return Promise.reject(notRunning());
    const combined = signal ? AbortSignal.any([this.stopper.signal, signal]) : this.stopper.signal;
    if (combined.aborted) return Promise.reject(combined.reason);
    return new Promise<T>((resolve, reject) => {
      const entry: Entry = {
        job: job as FolderJob<unknown>,
        signal: combined,
        resolve: resolve as (v: unknown) => void,
        reject,
        drop: () => {
          const i = this.entries.indexOf(entry);
          if (i < 0) return; // already running: the job sees the signal itself
          this.entries.splice(i, 1);
          reject(combined.reason);
        },
      };
      combined.addEventListener('abort', entry.drop, { once: true });
      this.entries.push(entry);
      this.pump();
    });
  }

  private pump(): void {
    if (this.running) return;
    const entry = this.entries.shift();
    if (!entry) return;
    this.running = (async () => {
      try {
        entry.signal.throwIfAborted();
        entry.resolve(await entry.job(entry.signal));
      } catch (err) {
        entry.reject(err);
      } finally {
        entry.signal.removeEventListener('abort', entry.drop);
        this.running = undefined;
        this.pump();
      }
    })();
  }

  /** Aborts the running job, refuses the waiting ones, and resolves once the running one has ended. */
  async stop(): Promise<void> {
    this.stopper.abort(notRunning());
    await this.running;
  }
}

function notRunning(): AppError {
  return new AppError('internal', 'folder is not running');
}
