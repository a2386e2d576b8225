import type { Clock, Timer } from '../shared/clock.js';

/**
 * Debounces FolderSummary events (spec index §5.3): folders marked dirty are summarised at most
 * once per interval, however many batches or state changes happened in between.
 */
export class SummaryPump {
  private readonly dirtySet = new Set<string>();
  private timer?: Timer;

  constructor(
    private readonly clock: Clock,
    private readonly emit: (folder: string) => void,
    private readonly intervalMs = 2000,
  ) {}

  dirty(folder: string): void {
    this.dirtySet.add(folder);
    if (!this.timer) {
      this.timer = this.clock.setTimeout(() => this.flush(), this.intervalMs);
      (this.timer as { unref?: () => void }).unref?.();
    }
  }

  flush(): void {
    this.timer = undefined;
    const folders = [...this.dirtySet];
    this.dirtySet.clear();
    for (const f of folders) this.emit(f);
  }

  stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
