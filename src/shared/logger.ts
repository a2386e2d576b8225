import { formatTimeNs, formatTimeSeconds } from './time-format.js';
import type { Clock } from './clock.js';

/**
 * The process log: lines go to stderr and into an in-memory ring that backs /rest/system/log;
 * warnings and errors also go to the error list behind /rest/system/error (Syncthing 1.x keeps
 * WARN and above there, which is what its GUI shows as notices).
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface LogLine {
  /** Nanoseconds since the epoch. */
  whenNs: bigint;
  level: LogLevel;
  facility: string;
  message: string;
}

/** How lines are written to stderr: `TIME LEVEL facility: message`, or one JSON object per line. */
export type LogFormat = 'text' | 'json';

export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
  /** A logger whose lines are prefixed with `facility:` on stderr. */
  scope(facility: string): Logger;
}

const RING = 1000;
/**
 * Longest message kept, in characters; the rest is cut with a note of how much. Both rings and
 * /rest/system/error are then bounded (1000 × 4 KiB each), whatever a client posts.
 */
export const MAX_MESSAGE = 4096;

function bounded(message: string): string {
  if (message.length <= MAX_MESSAGE) return message;
  return `${message.slice(0, MAX_MESSAGE)}… (${message.length - MAX_MESSAGE} more characters cut)`;
}

const RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** The log facilities and what each covers (listed by /rest/system/debug and /rest/system/loglevels). */
export const FACILITIES: Record<string, string> = {
  api: 'REST API',
  auth: 'Authentication and sessions',
  config: 'Configuration loading and saving',
  connections: 'Device connections: listening, dialling, TLS, Hello and BEP',
  events: 'Event generation and logging',
  main: 'Main package',
  model: 'Folder runners and the index',
  scanner: 'File change detection and hashing',
  versioner: 'File versioning',
  watchaggregator: 'Filesystem event watcher',
};

export class LogBook {
  private lines: LogLine[] = [];
  private errors: LogLine[] = [];
  private levels = new Map<string, LogLevel>();

  constructor(
    private readonly clock: Clock,
    private readonly sink: (text: string) => void = (t) => process.stderr.write(t),
    private readonly format: LogFormat = 'text',
  ) {}

  record(level: LogLevel, facility: string, message: string): void {
    if (RANK[level] < RANK[this.levelOf(facility)]) return;
    const line: LogLine = { whenNs: this.clock.nowNs(), level, facility, message: bounded(message) };
    this.lines.push(line);
    if (this.lines.length > RING) this.lines.shift();
    if (level === 'warn' || level === 'error') {
      this.errors.push(line);
      if (this.errors.length > RING) this.errors.shift();
    }
    const time = formatTimeNs(line.whenNs);
    this.sink(
      this.format === 'json'
        ? JSON.stringify({ time, level: level.toUpperCase(), facility, message: line.message }) + '\n'
        : `${time} ${level.toUpperCase()} ${facility}: ${line.message}\n`,
    );
  }

  logger(facility: string): Logger {
    return {
      debug: (m) => this.record('debug', facility, m),
      info: (m) => this.record('info', facility, m),
      warn: (m) => this.record('warn', facility, m),
      error: (m) => this.record('error', facility, m),
      scope: (f) => this.logger(f),
    };
  }

  /** Lines strictly after `sinceNs` (all when undefined), oldest first. */
  since(sinceNs?: bigint): LogLine[] {
    return sinceNs === undefined ? [...this.lines] : this.lines.filter((l) => l.whenNs > sinceNs);
  }

  errorList(): LogLine[] {
    return [...this.errors];
  }

  clearErrors(): void {
    this.errors = [];
  }

  /** The lowest level recorded for a facility (default info). */
  levelOf(facility: string): LogLevel {
    return this.levels.get(facility) ?? 'info';
  }

  setLevel(facility: string, level: LogLevel): void {
    this.levels.set(facility, level);
  }

  /** Facilities currently logging at debug level, sorted. */
  debugEnabled(): string[] {
    return [...this.levels].filter(([, l]) => l === 'debug').map(([f]) => f).sort();
  }
}

/** Lines as /rest/system/log.txt shows them: `TIME: message`, one per line. */
export function logText(lines: readonly LogLine[]): string {
  return lines.map((l) => `${formatTimeSeconds(Number(l.whenNs / 1_000_000n))}: ${l.message}\n`).join('');
}
