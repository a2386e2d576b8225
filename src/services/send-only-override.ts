import type { IndexStore } from '../index/index-store.js';
import { bumpVersion, INVALID_FLAGS, mergeVersions, type FileInfo } from '../shared/file-info.js';

export interface OverrideContext {
  index: IndexStore;
  folder: string;
  shortId: string;
  nowS: () => number;
  commit(files: FileInfo[]): void;
  /** Stops between records; what was written so far stays. */
  signal?: AbortSignal;
}

const BATCH = 1000;
const NONE = new Uint8Array(0);

/**
 * What POST /rest/db/override writes for one needed global record (spec index §7.1): nothing when
 * our record is invalid; a deleted record newer than the global when we lack the file; otherwise
 * our record with a version that has seen the global's and is bumped past it.
 */
export function overrideRecord(global: FileInfo, local: FileInfo | undefined, shortId: string, nowS: number): FileInfo | undefined {
  if (local && local.localFlags & INVALID_FLAGS) return undefined;
  if (!local) {
    return {
      ...global,
      deleted: true,
      size: 0,
      localFlags: 0,
      modifiedBy: shortId,
      version: bumpVersion(global.version, shortId, nowS),
      blockSize: 0,
      blockHashes: NONE,
      blocksHash: undefined,
      sequence: 0,
    };
  }
  return { ...local, sequence: 0, version: bumpVersion(mergeVersions(local.version, global.version), shortId, nowS) };
}

/** Makes our copy of every needed file win everywhere. Returns the number of records written. */
export function overrideSendOnly(c: OverrideContext): number {
  const needed: FileInfo[] = [];
  for (let offset = 0; ; offset += BATCH) {
    const page = c.index.needed(c.folder, offset, BATCH);
    needed.push(...page);
    if (page.length < BATCH) break;
  }
  let batch: FileInfo[] = [];
  let written = 0;
  for (const g of needed) {
    if (c.signal?.aborted) break;
    const rec = overrideRecord(g, c.index.getLocal(c.folder, g.name), c.shortId, c.nowS());
    if (rec) batch.push(rec);
    if (batch.length >= BATCH) {
      c.commit(batch);
      written += batch.length;
      batch = [];
    }
  }
  if (batch.length) c.commit(batch);
  return written + batch.length;
}
