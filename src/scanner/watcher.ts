import path from 'node:path';
import { watch, type FSWatcher } from 'chokidar';
import { isInternal } from './names.js';

/** What a change did: Syncthing's Remove / NonRemove, or `unknown` when the kernel only said "renamed". */
export type ChangeKind = 'remove' | 'nonremove' | 'unknown';

export interface WatchOptions {
  /** True for a directory whose whole subtree is ignored: it is not watched at all. */
  skipDir(rel: string): boolean;
}

export interface WatchHandlers {
  /** A folder-relative, `/`-separated path changed ('.' for the folder root itself). */
  change(rel: string, kind: ChangeKind): void;
  /** Watching failed, in part or whole; the caller decides whether to go on. */
  error(err: NodeJS.ErrnoException): void;
}

export interface Watch {
  /** Settles once the initial setup walk is done. */
  ready: Promise<void>;
  /** Stops watching; safe at any time, also while the setup walk is still running. */
  close(): Promise<void>;
}

/**
 * Watches `root` recursively and reports changed paths. The handle is returned at once, so that a
 * watch can be closed while it is still being set up.
 *
 * Only directories get an fs.watch of their own: chokidar would otherwise open one per file, which
 * for 100,000 files costs about 7 s and 900 MiB. A directory's inotify watch already reports every
 * event on its entries (chokidar's `raw` event), so nothing is lost by leaving files out.
 */
export function watchFolder(root: string, opts: WatchOptions, handlers: WatchHandlers): Watch {
  const relOf = (p: string) => path.relative(root, p).split(path.sep).join('/');
  const watcher: FSWatcher = watch(root, {
    ignoreInitial: true,
    // Unshared, unreferenced fs.watch handles: the HTTP listener keeps the process alive, and a
    // handle chokidar opens while it is being closed can then neither leak across folders nor hold the process.
    persistent: false,
    followSymlinks: false,
    // chokidar's atomic-write emulation delays unlink events by 100 ms; the aggregator does that job.
    atomic: false,
    ignored: (p, stats) => {
      if (!stats) return false;
      if (!stats.isDirectory()) return true;
      const rel = relOf(p);
      return rel !== '' && (isInternal(rel) || opts.skipDir(rel));
    },
  });
  watcher.on('raw', (event, name: string | null, details) => {
    const dir = (details as { watchedPath?: string } | undefined)?.watchedPath;
    if (!name || !dir) return;
    const rel = relOf(path.join(dir, name));
    if (rel.startsWith('..')) return;
    handlers.change(rel === '' ? '.' : rel, event === 'change' ? 'nonremove' : 'unknown');
  });
  watcher.on('addDir', (p: string) => handlers.change(relOf(p) || '.', 'nonremove'));
  watcher.on('unlinkDir', (p: string) => handlers.change(relOf(p) || '.', 'remove'));
  watcher.on('error', (err: unknown) => handlers.error(err as NodeJS.ErrnoException));
  const ready = new Promise<void>((resolve) => watcher.once('ready', resolve));
  let closing: Promise<void> | undefined;
  // chokidar can open a directory's handle just after close() during its setup walk; closing once the walk is done avoids that.
  const settled = Promise.race([ready, new Promise<void>((r) => setTimeout(r, 10_000).unref())]);
  return { ready, close: () => (closing ??= settled.then(() => watcher.close())) };
}

const INOTIFY_HELP = 'Please increase inotify limits, see https://docs.syncthing.net/users/faq.html#inotify-limits';

/** Syncthing's text for a watch that could not be set up, naming the kernel limit that was hit. */
export function watchErrorText(err: NodeJS.ErrnoException): string {
  if (err.code === 'ENOSPC') return `failed to set up inotify handler (fs.inotify.max_user_watches reached). ${INOTIFY_HELP}`;
  if (err.code === 'EMFILE') return `failed to set up inotify handler (fs.inotify.max_user_instances or the open file limit reached). ${INOTIFY_HELP}`;
  return `watching: ${err.message}`;
}
