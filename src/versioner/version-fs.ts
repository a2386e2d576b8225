import { lstat as lstatCallback, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../shared/errors.js';
import { mapLimit } from '../shared/map-limit.js';

/**
 * The file operations every versioner shares. Relative paths are `/`-separated and already clean
 * (no `..`, not absolute); on top of that no directory below a root may be a symlink, so nothing
 * here reads, writes or deletes outside the folder or the versions directory.
 */

export const isMissing = (err: unknown): boolean => {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
};

/** `root/rel` after checking that no directory between them is a symlink. */
export async function insideRoot(root: string, rel: string): Promise<string> {
  if (rel === '' || rel.startsWith('/') || rel.split('/').includes('..')) throw new AppError('invalid', `invalid path ${JSON.stringify(rel)}`);
  const parts = rel.split('/');
  for (let i = 1; i < parts.length; i++) {
    const st = await fs.lstat(path.join(root, ...parts.slice(0, i))).catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
    if (!st) break;
    if (st.isSymbolicLink()) throw new AppError('invalid', `${parts.slice(0, i).join('/')}: is a symbolic link`);
  }
  return path.join(root, ...parts);
}

/**
 * A version store inside the folder (the default .stversions, or a relative fsPath) must be a real
 * directory all the way down from the folder root: a symlink there — which a peer could sync in —
 * would send archives, listings, restores and cleanups somewhere else. A store the user placed
 * outside the folder with fsPath is theirs to point wherever they like.
 */
export async function checkStoreRoot(root: string, versionsRoot: string): Promise<void> {
  const rel = path.relative(root, versionsRoot);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return;
  const parts = rel.split(path.sep);
  for (let i = 1; i <= parts.length; i++) {
    const st = await fs.lstat(path.join(root, ...parts.slice(0, i))).catch((err: unknown) => {
      if (isMissing(err)) return undefined;
      throw err;
    });
    if (!st) return;
    if (st.isSymbolicLink()) throw new AppError('invalid', `${parts.slice(0, i).join('/')}: the versions directory is a symbolic link`);
  }
}

/**
 * Creates the directories of `relDir` under `dstRoot` as they are under `srcRoot`: same
 * permissions plus u+rwx, so the versioner can always write into them.
 */
export async function mirrorDirs(srcRoot: string, dstRoot: string, relDir: string): Promise<void> {
  // Usually the directory is there already: one lstat. Its parents are checked for symlinks by
  // insideRoot when the caller builds the path of the file inside it.
  const there = await fs.lstat(relDir ? path.join(dstRoot, ...relDir.split('/')) : dstRoot).catch(() => undefined);
  if (there?.isDirectory()) return;
  await fs.mkdir(dstRoot, { recursive: true, mode: 0o755 });
  if (relDir === '') return;
  let rel = '';
  for (const part of relDir.split('/')) {
    rel = rel ? `${rel}/${part}` : part;
    const dst = path.join(dstRoot, rel);
    const have = await fs.lstat(dst).catch(() => undefined);
    if (have?.isSymbolicLink()) throw new AppError('invalid', `${rel}: is a symbolic link in the versions directory`);
    if (have?.isDirectory()) continue;
    const src = await fs.stat(path.join(srcRoot, rel)).catch(() => undefined);
    const mode = ((src?.mode ?? 0o755) & 0o777) | 0o700;
    try {
      await fs.mkdir(dst, { mode });
    } catch (err) {
      // Another archive or restore in the same directory may have made it a moment ago.
      if ((err as NodeJS.ErrnoException).code === 'EEXIST' && (await fs.lstat(dst)).isDirectory()) continue;
      throw err;
    }
    await fs.chmod(dst, mode); // mkdir's mode is masked by the umask
  }
}

/**
 * The file that marks a versions directory outside the folder as Synchro's own. Only such a store
 * (or the folder's own .stversions) is ever cleaned: a path that turned out to hold somebody's
 * files must never have "old versions" deleted from it. It is written when Synchro makes the
 * directory, or finds it empty; a store made by Syncthing gets it by hand to be cleaned.
 */
export const STORE_MARKER = '.synchro-versions';

const isDefaultStore = (root: string, versionsRoot: string) => path.resolve(versionsRoot) === path.join(path.resolve(root), '.stversions');

/** Creates the store (and marks it ours) if it is not there, or marks it if it is there and empty. */
export async function ensureStore(root: string, versionsRoot: string): Promise<void> {
  const entries = await fs.readdir(versionsRoot).catch((err: unknown) => {
    if (isMissing(err)) return undefined;
    throw err;
  });
  if (entries === undefined) await fs.mkdir(versionsRoot, { recursive: true, mode: 0o755 });
  if (isDefaultStore(root, versionsRoot) || (entries !== undefined && entries.length > 0)) return;
  await fs.writeFile(path.join(versionsRoot, STORE_MARKER), 'This directory holds file versions kept by Synchro; its cleanup may delete old files here.\n', { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
}

/** Refuses to clean a store Synchro did not make (see STORE_MARKER). */
export async function checkStoreOwned(root: string, versionsRoot: string): Promise<void> {
  if (isDefaultStore(root, versionsRoot)) return;
  const entries = await fs.readdir(versionsRoot).catch(() => undefined);
  if (entries === undefined || entries.length === 0 || entries.includes(STORE_MARKER)) return;
  throw new AppError('invalid', `the versions directory ${versionsRoot} was not made by Synchro (it has no ${STORE_MARKER} file), so nothing in it is cleaned up`);
}

/**
 * Puts `from` at the first of `names(0)`, `names(1)`, … that is free, never replacing a file
 * that is there: hard links (and exclusive copies where links are not possible) fail on an
 * existing name instead of overwriting it. With `keep` the source stays (the store gets a second
 * name, or a copy); otherwise it is removed once the store has it. Returns the name used.
 */
export async function placeWithoutOverwrite(from: string, names: (attempt: number) => string, keep: boolean, attempts = 100): Promise<string> {
  for (let i = 0; i < attempts; i++) {
    const to = names(i);
    try {
      await fs.link(from, to);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EOPNOTSUPP') throw err;
      try {
        await fs.copyFile(from, to, fs.constants.COPYFILE_EXCL);
      } catch (copyErr) {
        if ((copyErr as NodeJS.ErrnoException).code === 'EEXIST') continue;
        throw copyErr;
      }
      const st = await fs.stat(from);
      await fs.utimes(to, st.atime, st.mtime);
    }
    if (!keep) await fs.rm(from);
    return to;
  }
  throw new AppError('internal', `no free version name for ${path.basename(from)} after ${attempts} tries`);
}

/** Moves a file, copying it (then removing the source) when a rename cannot cross devices. */
export async function renameOrCopy(from: string, to: string): Promise<void> {
  try {
    await fs.rename(from, to);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EXDEV') throw err;
    await fs.copyFile(from, to);
    const st = await fs.stat(from);
    await fs.utimes(to, st.atime, st.mtime);
    await fs.rm(from);
  }
}

/**
 * Makes `to` a second name of `from` (a hard link), or a copy with the same times where links are
 * not possible (another filesystem). `to` is replaced if it exists, in one rename.
 */
export async function linkOrCopy(from: string, to: string): Promise<void> {
  const temp = path.join(path.dirname(to), `.syncthing.${path.basename(to)}.link-${process.pid}-${Date.now()}`);
  try {
    await fs.link(from, temp);
  } catch {
    await fs.copyFile(from, temp);
    const st = await fs.stat(from);
    await fs.utimes(temp, st.atime, st.mtime);
  }
  try {
    await fs.rename(temp, to);
  } catch (err) {
    await fs.rm(temp, { force: true });
    throw err;
  }
}

/**
 * lstat through the callback API, undefined on any error: listing thousands of versions spends
 * most of its time here, and the promise API costs about twice as much per call.
 */
function quickLstat(p: string): Promise<Stats | undefined> {
  return new Promise((resolve) => lstatCallback(p, (err, st) => resolve(err ? undefined : st)));
}

export interface VersionFile {
  /** Relative to the versions root, `/`-separated, NFC. */
  rel: string;
  size: number;
  mtimeMs: number;
}

/**
 * Every regular file under `root`, directory by directory (each in name order). Symlinks are neither followed nor listed;
 * directories are not listed. A missing root is an empty list. `dirs` collects the directories.
 */
export async function walkVersions(root: string, signal?: AbortSignal, dirs?: string[]): Promise<VersionFile[]> {
  const out: VersionFile[] = [];
  const visit = async (rel: string): Promise<void> => {
    let entries;
    try {
      entries = await fs.readdir(rel ? path.join(root, rel) : root, { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw err;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    signal?.throwIfAborted();
    const files = entries.filter((e) => e.isFile() && !(rel === '' && e.name === STORE_MARKER));
    const stats = await mapLimit(files, 64, (e) => quickLstat(path.join(root, rel, e.name)));
    files.forEach((e, i) => {
      const st = stats[i];
      if (st?.isFile()) out.push({ rel: (rel ? `${rel}/${e.name}` : e.name).normalize('NFC'), size: st.size, mtimeMs: st.mtimeMs });
    });
    for (const e of entries) {
      if (!e.isDirectory()) continue;
      const r = rel ? `${rel}/${e.name}` : e.name;
      dirs?.push(r);
      await visit(r);
    }
  };
  await visit('');
  return out;
}

/** Removes the directories in `dirs` (relative to root) that are empty, deepest first; never the root itself. */
export async function removeEmptyDirs(root: string, dirs: string[]): Promise<void> {
  for (const d of [...dirs].sort().reverse()) {
    await fs.rmdir(path.join(root, d)).catch(() => undefined); // not empty, or gone: either way keep going
  }
}
