import type { LoginGuard } from './login-guard.js';
import type { ConfigStore } from '../config/config-store.js';
import type { EventLog } from '../events/event-log.js';
import type { TokenStore } from '../auth/token-store.js';
import type { Clock } from '../shared/clock.js';
import type { LogBook, Logger } from '../shared/logger.js';
import type { PendingService } from '../services/pending-service.js';
import type { SystemService } from '../services/system-service.js';
import type { FolderService } from '../services/folder-service.js';
import type { JobRegistry } from '../services/jobs.js';

/** Everything the HTTP layer calls, handed in by the composition root. */
export interface HttpDeps {
  config: ConfigStore;
  events: EventLog;
  system: SystemService;
  pending: PendingService;
  folders: FolderService;
  /** Calls made with `_async=true`. */
  jobs: JobRegistry;
  logBook: LogBook;
  log: Logger;
  clock: Clock;
  myId: string;
  /** The 7-character short ID used in cookie and header names. */
  shortId: string;
  /** A second valid API key from STGUIAPIKEY / --gui-apikey, accepted besides gui.apiKey. */
  extraApiKey?: string;
  sessions: TokenStore;
  csrfTokens: TokenStore;
  verifyPassword(plain: string, hash: string): Promise<boolean>;
  /** Bounds password checks (concurrency, per-address back-off). */
  logins: LoginGuard;
  guiDir: string;
  lifecycle: {
    restart(): void;
    shutdown(): void;
    /** Erases the index of one folder (or all) and restarts. */
    reset(folder?: string): void;
  };
}

/** What the auth and CSRF layers found out about a request, kept on ctx.state. */
export interface RequestAuth {
  /** A valid API key was presented. */
  apiKey: boolean;
  /** The request is authenticated (key, session or Basic), or auth is off. */
  authenticated: boolean;
}
