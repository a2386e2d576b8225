import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../shared/errors.js';

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
 * Creates the directories of `relDir` under `dstRoot` as they are under `srcRoot`: same
 * permissions plus u+rwx, so the versioner can always write into them.
 */
export async function mirrorDirs(srcRoot: string, dstRoot: string, relDir: string): Promise<void> {
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
    await fs.mkdir(dst, { mode });
    await fs.chmod(dst, mode); // mkdir's mode is masked by the umask
  }
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

export interface VersionFile {
  /** Relative to the versions root, `/`-separated, NFC. */
  rel: string;
  size: number;
  mtimeMs: number;
}

/**
 * Every regular file under `root`, in name order. Symlinks are neither followed nor listed;
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
    for (const e of entries) {
      signal?.throwIfAborted();
      const r = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        dirs?.push(r);
        await visit(r);
      } else if (e.isFile()) {
        const st = await fs.lstat(path.join(root, r)).catch(() => undefined);
        if (st?.isFile()) out.push({ rel: r.normalize('NFC'), size: st.size, mtimeMs: st.mtimeMs });
      }
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
