import { cleanByRule, removeVersions, type RemovalRule } from './clean.js';
import { parseTag, untagFilename } from './tag.js';
import { archiveFile, listVersions, restoreFile, tagged, versionsOf, type StoreDeps, type Versioner } from './versioner.js';

const DAY_MS = 86_400_000;

/** Parses a whole-number param, falling back when it is missing or not a number (as Go's Atoi failing). */
export function intParam(params: Record<string, string>, key: string, fallback: number): number {
  const v = params[key];
  return v !== undefined && /^[+-]?\d+$/.test(v.trim()) ? Number(v.trim()) : fallback;
}

/** Keep the newest `keep` versions of each file, and none older than `cleanoutDays` (0 = no age limit). */
export function simpleRule(keep: number, cleanoutDays: number): RemovalRule {
  return (versions, nowMs) => {
    const remove = new Set(versions.length > keep ? versions.slice(0, versions.length - keep) : []);
    if (cleanoutDays > 0) {
      for (const v of versions) {
        const at = parseTag(untagFilename(v)?.tag ?? '');
        if (at !== undefined && nowMs - at > cleanoutDays * DAY_MS) remove.add(v);
      }
    }
    return [...remove];
  };
}

/** "Simple File Versioning": tagged copies, the newest `keep` of each file kept. */
export function simpleVersioner(d: StoreDeps, params: Record<string, string>): Versioner {
  const rule = simpleRule(intParam(params, 'keep', 5), intParam(params, 'cleanoutDays', 0));
  return {
    type: 'simple',
    async archive(rel) {
      if ((await archiveFile(d, rel, tagged)) === undefined) return;
      await removeVersions(d.versionsRoot, rule(await versionsOf(d, rel), d.nowMs()));
    },
    versions: () => listVersions(d),
    restore: (rel, at) => restoreFile(d, rel, at, tagged),
    clean: (signal) => cleanByRule(d.versionsRoot, rule, d.nowMs(), signal),
  };
}
