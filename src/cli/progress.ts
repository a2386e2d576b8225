/** Progress of a waited-for job on stderr: a bar that redraws on a terminal, plain lines otherwise. */
export interface ProgressOut {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

const MiB = 1024 * 1024;
const mib = (n: number) => (n / MiB).toFixed(1);

export class ProgressView {
  private lastLine = '';
  private lastPct = -1;
  private drawn = false;

  constructor(
    private readonly out: ProgressOut,
    private readonly label: string,
  ) {}

  /** Shows `current` of `total` bytes (total 0 = nothing to hash yet). */
  update(current: number, total: number, state: string): void {
    const pct = total > 0 ? Math.min(100, Math.floor((current / total) * 100)) : 0;
    if (this.out.isTTY) {
      const width = 30;
      const fill = Math.round((pct / 100) * width);
      const bytes = total > 0 ? `  ${mib(current)}/${mib(total)} MiB` : '';
      const line = `\r${this.label}  ${state.padEnd(12)} [${'#'.repeat(fill)}${'-'.repeat(width - fill)}] ${String(pct).padStart(3)}%${bytes}`;
      if (line !== this.lastLine) this.out.write(line + '\x1b[K');
      this.lastLine = line;
      this.drawn = true;
      return;
    }
    // Plain lines: one per state change and per 10 % step, so a log stays short.
    const step = Math.floor(pct / 10) * 10;
    const line = `${this.label}: ${state}${total > 0 ? ` ${step}% (${mib(current)} of ${mib(total)} MiB)` : ''}`;
    if (line !== this.lastLine && (step !== this.lastPct || !this.lastLine.startsWith(`${this.label}: ${state}`))) {
      this.out.write(line + '\n');
      this.lastLine = line;
      this.lastPct = step;
    }
  }

  done(message: string): void {
    const clear = this.out.isTTY && this.drawn ? '\r\x1b[K' : '';
    this.out.write(`${clear}${this.label}: ${message}\n`);
  }
}
