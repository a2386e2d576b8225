import fs from 'node:fs/promises';
import path from 'node:path';
import { compareVersions, isConcurrent } from '../../shared/file-info.js';

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** Go's filepath.Ext: from the last dot of the last element on (".bashrc" is all extension), '' without one. */
export function goExt(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot < 0 ? '' : base.slice(dot);
}

/**
 * 1.19.2's conflict copy name (folder_sendrecv.go conflictName): `<name without ext>.sync-conflict-
 * <YYYYMMDD>-<HHMMSS>-<modifiedBy><ext>`, the time in this machine's zone, `modifiedBy` the short ID
 * text of the device whose version wins.
 */
export function conflictName(name: string, modifiedBy: string, now: Date): string {
  const ext = goExt(name);
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${name.slice(0, name.length - ext.length)}.sync-conflict-${stamp}-${modifiedBy}${ext}`;
}

export const isConflictCopy = (name: string): boolean => name.slice(name.lastIndexOf('/') + 1).includes('.sync-conflict-');

/**
 * Whether replacing `current` by `replacement` loses a change (1.19.2's inConflict): the versions
 * are concurrent, or the replacement carries a higher counter of ours than we have, which only
 * a lost index explains.
 */
export function inConflict(current: readonly [string, number][], replacement: readonly [string, number][], shortId: string): boolean {
  if (isConcurrent(compareVersions(current, replacement))) return true;
  const ours = (v: readonly [string, number][]) => v.find(([id]) => id === shortId)?.[1] ?? 0;
  return ours(replacement) > ours(current);
}

/** The conflict copies of `name` that exist (1.19.2's glob `<base>.sync-conflict-????????-??????*<ext>`), as folder paths. */
async function existingConflicts(root: string, name: string): Promise<string[]> {
  const ext = goExt(name);
  const stem = name.slice(name.lastIndexOf('/') + 1, name.length - ext.length);
  const dir = name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';
  const re = new RegExp(`^${escape(stem)}\\.sync-conflict-[^/]{8}-[^/]{6}.*${escape(ext)}$`);
  const entries = await fs.readdir(path.join(root, dir)).catch(() => [] as string[]);
  return entries.filter((e) => re.test(e)).map((e) => (dir ? `${dir}/${e}` : e));
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Moves the file at `name` out of the way as a conflict copy (1.19.2's moveForConflict): a
 * conflict copy itself, or any file with `maxConflicts` 0, is removed instead; beyond
 * `maxConflicts` (−1: no limit) the oldest copies go. Returns the copy's name, which must be
 * scanned so that it is announced, or undefined when none was made.
 */
export async function moveForConflict(root: string, name: string, modifiedBy: string, maxConflicts: number, now: Date): Promise<string | undefined> {
  const abs = path.join(root, name);
  if (isConflictCopy(name) || maxConflicts === 0) {
    await fs.rm(abs, { force: true });
    return undefined;
  }
  const copy = conflictName(name, modifiedBy, now);
  let made: string | undefined = copy;
  try {
    await fs.rename(abs, path.join(root, copy));
  } catch (err) {
    // Already gone (moved away by the user, or a local delete against a remote change): nothing to keep.
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    made = undefined;
  }
  if (maxConflicts > -1) {
    const all = (await existingConflicts(root, name)).sort().reverse();
    for (const extra of all.slice(maxConflicts)) await fs.rm(path.join(root, extra), { force: true });
  }
  return made;
}
