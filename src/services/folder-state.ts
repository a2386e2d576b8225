import type { EventSink } from '../events/types.js';
import type { Clock } from '../shared/clock.js';

/** Syncthing's folder states (lib/model/folderstate.go), as /rest/db/status and StateChanged name them. */
export type FolderState = 'idle' | 'scan-waiting' | 'scanning' | 'sync-waiting' | 'sync-preparing' | 'syncing' | 'clean-waiting' | 'cleaning' | 'error';

/**
 * Where each state may go. Every job of a folder (scan, revert, override, cleanup, and the puller
 * to come) moves through these; a move that is not listed is a bug and is refused loudly rather
 * than shown to clients. Any state may fall into `error`; `error` is left only through `idle`
 * (a health check that passed) or for a new error message.
 */
const NEXT: Record<FolderState, readonly FolderState[]> = {
  idle: ['scan-waiting', 'scanning', 'clean-waiting', 'sync-waiting', 'sync-preparing'],
  'scan-waiting': ['scanning', 'idle'],
  scanning: ['idle'],
  'clean-waiting': ['cleaning', 'idle'],
  cleaning: ['idle'],
  'sync-waiting': ['sync-preparing', 'idle'],
  'sync-preparing': ['syncing', 'idle'],
  syncing: ['sync-preparing', 'idle'],
  error: ['idle'],
};

export interface FolderStateDeps {
  folder: string;
  events: EventSink;
  clock: Clock;
  /** Called after every change (the folder summary may have changed with it). */
  changed(): void;
}

/**
 * One folder's state: the only place it changes, and the only place StateChanged is emitted.
 * `duration` is measured from the second-truncated time of the previous change, as Syncthing does.
 */
export class FolderStateTracker {
  private current: FolderState = 'idle';
  private message = '';
  private changedAt: number;
  private first = true;

  constructor(private readonly d: FolderStateDeps) {
    this.changedAt = Math.floor(d.clock.nowMs() / 1000) * 1000;
  }

  get state(): FolderState {
    return this.current;
  }

  /** The error message while in `error` ('' otherwise). */
  get error(): string {
    return this.message;
  }

  /** When the state last changed (ms, truncated to the second). */
  get changedMs(): number {
    return this.changedAt;
  }

  /** Moves to `to`; throws for a move the table does not allow. Staying put is a no-op. */
  set(to: Exclude<FolderState, 'error'>): void {
    if (to === this.current) return;
    if (!NEXT[this.current].includes(to)) throw new Error(`folder ${this.d.folder}: state ${this.current} cannot go to ${to}`);
    this.emit(to, '');
  }

  /** Goes into `error` with `message` (from any state), or changes the message of the error it is in. */
  fail(message: string): void {
    if (this.current === 'error' && this.message === message) return;
    this.emit('error', message);
  }

  /** Back to idle from wherever the folder is (a job that ended, however it ended, except in error). */
  settle(): void {
    if (this.current !== 'idle' && this.current !== 'error') this.emit('idle', '');
  }

  private emit(to: FolderState, error: string): void {
    const nowMs = this.d.clock.nowMs();
    const data: Record<string, unknown> = { folder: this.d.folder, from: this.current, to };
    if (!this.first) data.duration = (nowMs - this.changedAt) / 1000;
    if (error) data.error = error;
    this.first = false;
    this.current = to;
    this.message = error;
    this.changedAt = Math.floor(nowMs / 1000) * 1000;
    // Keys in Syncthing's (alphabetical) order.
    this.d.events.append('StateChanged', Object.fromEntries(Object.entries(data).sort(([a], [b]) => (a < b ? -1 : 1))));
    this.d.changed();
  }
}
