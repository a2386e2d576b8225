import fs from 'node:fs/promises';
import path from 'node:path';
import { intParam } from './tagged-versioner.js';
import { checkStoreOwned, checkStoreRoot, removeEmptyDirs, walkVersions } from './version-fs.js';
import { archiveFile, listVersions, restoreFile, untagged, type StoreDeps, type Versioner } from './versioner.js';

const DAY_MS = 86_400_000;

/**
 * "Trash Can File Versioning": one copy per file under its own name, a later one replacing the
 * earlier. The copy's mtime is set to when it was archived, which is what cleanoutDays measures.
 */
export function trashcanVersioner(d: StoreDeps, params: Record<string, string>): Versioner {
  const cleanoutDays = intParam(params, 'cleanoutDays', 0);
  return {
    type: 'trashcan',
    async archive(rel) {
      const name = await archiveFile(d, rel, untagged);
      if (name === undefined) return;
      const now = new Date(d.nowMs());
      await fs.utimes(path.join(d.versionsRoot, ...name.split('/')), now, now);
    },
    versions: () => listVersions(d),
    restore: (rel, at) => restoreFile(d, rel, at, untagged),
    async clean(signal) {
      if (cleanoutDays <= 0) return;
      await checkStoreRoot(d.root, d.versionsRoot);
      await checkStoreOwned(d.root, d.versionsRoot);
      const cutoff = d.nowMs() - cleanoutDays * DAY_MS;
      const dirs: string[] = [];
      for (const f of await walkVersions(d.versionsRoot, signal, dirs)) {
        if (f.mtimeMs < cutoff) await fs.rm(path.join(d.versionsRoot, ...f.rel.split('/')), { force: true });
      }
      await removeEmptyDirs(d.versionsRoot, dirs);
    },
  };
}
