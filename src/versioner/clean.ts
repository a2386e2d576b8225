import fs from 'node:fs/promises';
import path from 'node:path';
import { parseTag, untagFilename } from './tag.js';
import { removeEmptyDirs, walkVersions } from './version-fs.js';

/** Which of one file's version names (sorted, oldest first) a rule drops at `nowMs`. */
export type RemovalRule = (versions: string[], nowMs: number) => string[];

/** Removes the named version files (relative to root); one that is already gone is no error. */
export async function removeVersions(root: string, rels: string[]): Promise<void> {
  for (const rel of rels) await fs.rm(path.join(root, ...rel.split('/')), { force: true });
}

/**
 * The cleanup of tagged stores (simple, staggered): group every version file by the name it
 * versions, let the rule pick what goes, then drop the directories left empty. Untagged files and
 * symlinks are left alone, and so is every name whose tag is not a valid time.
 */
export async function cleanByRule(root: string, rule: RemovalRule, nowMs: number, signal?: AbortSignal): Promise<void> {
  const dirs: string[] = [];
  const byName = new Map<string, string[]>();
  for (const f of await walkVersions(root, signal, dirs)) {
    const t = untagFilename(f.rel);
    // Only what a tagged versioner could have named is a version; anything else stays.
    if (!t || parseTag(t.tag) === undefined) continue;
    const list = byName.get(t.name) ?? [];
    list.push(f.rel);
    byName.set(t.name, list);
  }
  for (const list of byName.values()) {
    signal?.throwIfAborted();
    await removeVersions(root, rule(list.sort(), nowMs));
  }
  await removeEmptyDirs(root, dirs);
}
