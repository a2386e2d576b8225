import { cleanByRule, removeVersions, type RemovalRule } from './clean.js';
import path from 'node:path';
import { checkStoreOwned, checkStoreRoot } from './version-fs.js';
import { archiveFile, listVersions, restoreFile, tagged, versionsIn, type StoreDeps, type Versioner } from './versioner.js';

/**
 * A versioner that keeps tagged copies and thins them out by `rule`: after each archive (for that
 * file) and at every cleanup (for all). Simple and staggered differ only in the rule.
 */
export function taggedVersioner(type: string, d: StoreDeps, rule: RemovalRule): Versioner {
  return {
    type,
    async archive(rel) {
      const name = await archiveFile(d, rel, tagged);
      if (name === undefined) return;
      const dir = path.dirname(path.join(d.versionsRoot, ...name.split('/')));
      await removeVersions(d.versionsRoot, rule(await versionsIn(dir, rel), d.nowMs()));
    },
    versions: () => listVersions(d),
    restore: (rel, at) => restoreFile(d, rel, at, tagged),
    clean: async (signal) => {
      await checkStoreRoot(d.root, d.versionsRoot);
      await checkStoreOwned(d.root, d.versionsRoot);
      await cleanByRule(d.versionsRoot, rule, d.nowMs(), signal);
    },
  };
}

/** A whole-number param, or `fallback` when it is missing or not a number (as Go's Atoi failing). */
export function intParam(params: Record<string, string>, key: string, fallback: number): number {
  const v = params[key];
  return v !== undefined && /^[+-]?\d+$/.test(v.trim()) ? Number(v.trim()) : fallback;
}
