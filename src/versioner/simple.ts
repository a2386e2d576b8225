import type { RemovalRule } from './clean.js';
import { parseTag, untagFilename } from './tag.js';
import { intParam, taggedVersioner } from './tagged-versioner.js';
import type { StoreDeps, Versioner } from './versioner.js';

const DAY_MS = 86_400_000;

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
  return taggedVersioner('simple', d, simpleRule(intParam(params, 'keep', 5), intParam(params, 'cleanoutDays', 0)));
}
