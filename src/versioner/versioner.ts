import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../shared/errors.js';
import { formatTag, parseTag, tagFilename, untagFilename } from './tag.js';
import { checkStoreRoot, ensureStore, insideRoot, isMissing, linkOrCopy, mirrorDirs, placeWithoutOverwrite, renameOrCopy, walkVersions } from './version-fs.js';

/** One stored version of a file, as GET /rest/folder/versions lists it. */
export interface FileVersion {
  /** When the version was made (from its tag; the file's mtime for untagged trashcan copies), whole seconds. */
  versionTimeMs: number;
  /** The version file's mtime, truncated to seconds. */
  modTimeMs: number;
  size: number;
}

/**
 * Keeps old copies of files that are about to be replaced or deleted (spec index §6). Callers
 * pass clean folder-relative paths; every method refuses to act through a symlinked directory.
 */
export interface Versioner {
  readonly type: string;
  /** Moves the file at `rel` out of the folder into the versions store (nothing when it does not exist). */
  archive(rel: string): Promise<void>;
  /** Every stored version by untagged path, oldest first. */
  versions(): Promise<Map<string, FileVersion[]>>;
  /** Puts the version of `rel` made at `versionTimeMs` back in place, archiving what is there now. */
  restore(rel: string, versionTimeMs: number): Promise<void>;
  /** Removes versions the type's rules no longer keep, then directories left empty. */
  clean(signal?: AbortSignal): Promise<void>;
}

export interface StoreDeps {
  /** The folder root (absolute). */
  root: string;
  /** Where versions live (absolute). */
  versionsRoot: string;
  nowMs: () => number;
}

/**
 * Names a version file: with a tag (simple, staggered) or as the file itself (trashcan). A tagged
 * name is never reused: when `attempt` > 0 the name for the same second was taken (two archives of
 * one file within a second), and the tag moves on a second per attempt, so every version keeps a
 * name in Syncthing's own format and the names still sort by age. An untagged copy (the trashcan's
 * one copy per file) replaces the earlier one, as the trashcan is documented to.
 */
export interface Tagger {
  name(rel: string, nowMs: number, attempt: number): string;
  /** False for the trashcan: its single copy per file is replaced. */
  readonly distinct: boolean;
}
export const tagged: Tagger = { name: (rel, nowMs, attempt) => tagFilename(rel, formatTag(nowMs + attempt * 1000)), distinct: true };
export const untagged: Tagger = { name: (rel) => rel, distinct: false };

const trunc = (ms: number) => Math.floor(ms / 1000) * 1000;

/**
 * Moves the folder file `rel` into the store under the tagger's name, keeping its mtime, and
 * returns that name (undefined when there was nothing to archive). With `keep`, the file stays in
 * the folder too (the store gets a hard link, or a copy): a restore replaces it afterwards in one
 * rename, so a crash in between never leaves the folder without it.
 */
export async function archiveFile(d: StoreDeps, rel: string, tagger: Tagger, keep = false): Promise<string | undefined> {
  await checkStoreRoot(d.root, d.versionsRoot);
  const src = await insideRoot(d.root, rel);
  const st = await fs.lstat(src).catch((err: unknown) => {
    if (isMissing(err)) return undefined;
    throw err;
  });
  if (!st) return undefined;
  if (!st.isFile()) throw new AppError('invalid', `${rel}: not a regular file`);
  await ensureStore(d.root, d.versionsRoot);
  const dir = path.posix.dirname(rel);
  await mirrorDirs(d.root, d.versionsRoot, dir === '.' ? '' : dir);
  const nowMs = d.nowMs();
  let name: string;
  if (tagger.distinct) {
    const abs = await insideRoot(d.versionsRoot, tagger.name(rel, nowMs, 0));
    const base = path.dirname(abs);
    const placed = await placeWithoutOverwrite(src, (i) => path.join(base, path.posix.basename(tagger.name(rel, nowMs, i))), keep);
    name = path.posix.join(path.posix.dirname(tagger.name(rel, nowMs, 0)), path.basename(placed)).replace(/^\.\//, '');
  } else {
    name = tagger.name(rel, nowMs, 0);
    const dst = await insideRoot(d.versionsRoot, name);
    if (keep) await linkOrCopy(src, dst);
    else await renameOrCopy(src, dst);
  }
  await fs.utimes(path.join(d.versionsRoot, ...name.split('/')), st.atime, st.mtime);
  return name;
}

/** The versions in the store by untagged name (spec index §6: untagged files count with their mtime). */
export async function listVersions(d: StoreDeps): Promise<Map<string, FileVersion[]>> {
  const out = new Map<string, FileVersion[]>();
  await checkStoreRoot(d.root, d.versionsRoot);
  for (const f of await walkVersions(d.versionsRoot)) {
    const modTimeMs = trunc(f.mtimeMs);
    const t = untagFilename(f.rel);
    let name = f.rel;
    let versionTimeMs = modTimeMs;
    if (t) {
      const at = parseTag(t.tag);
      if (at === undefined) continue;
      name = t.name;
      versionTimeMs = at;
    }
    const list = out.get(name) ?? [];
    list.push({ versionTimeMs, modTimeMs, size: f.size });
    out.set(name, list);
  }
  for (const list of out.values()) list.sort((a, b) => a.versionTimeMs - b.versionTimeMs);
  return out;
}

/**
 * Restores a version. Unlike Syncthing, which archives the current file before it knows whether
 * the version exists, nothing is touched until the version is found, and the version is first
 * moved next to its target so a trashcan (where both share one name) does not overwrite it.
 */
export async function restoreFile(d: StoreDeps, rel: string, versionTimeMs: number, tagger: Tagger): Promise<void> {
  await checkStoreRoot(d.root, d.versionsRoot);
  const target = await insideRoot(d.root, rel);
  const current = await fs.lstat(target).catch((err: unknown) => {
    if (isMissing(err)) return undefined;
    throw err;
  });
  if (current?.isDirectory()) throw new AppError('invalid', 'cannot restore on top of a directory');
  if (current && !current.isFile() && !current.isSymbolicLink()) throw new AppError('invalid', 'cannot restore on top of a special file');

  const source = await findVersion(d, rel, versionTimeMs);
  if (!source) throw new AppError('not-found', 'version not found');

  const dir = path.posix.dirname(rel);
  await mirrorDirs(d.versionsRoot, d.root, dir === '.' ? '' : dir);
  // Crash-safe order: at every moment the folder holds the current file or the restored one, and
  // the store holds whichever is not in place. (1) The version gets a second name next to its
  // target — a temporary name the scanner skips; (2) the current file is archived by link, so it
  // stays in place; (3) one rename puts the version in place; (4) only then does the version leave
  // the store — unless the store entry is now the archive of the current file (a trashcan, where
  // both share one name).
  const temp = path.join(path.dirname(target), `.syncthing.${path.basename(target)}.tmp`);
  const versionIno = (await fs.stat(source.abs)).ino;
  await linkOrCopy(source.abs, temp);
  try {
    if (current?.isFile()) await archiveFile(d, rel, tagger, true);
    await fs.rename(temp, target);
  } catch (err) {
    await fs.rm(temp, { force: true }).catch(() => undefined);
    throw err;
  }
  // A symlink in the way was replaced by the rename; it is not user data worth a version.
  const still = await fs.stat(source.abs).catch(() => undefined);
  if (still?.ino === versionIno) await fs.rm(source.abs);
  await fs.utimes(target, source.mtime, source.mtime);
}

async function findVersion(d: StoreDeps, rel: string, versionTimeMs: number): Promise<{ abs: string; mtime: Date } | undefined> {
  const regular = async (abs: string) => {
    const st = await fs.lstat(abs).catch(() => undefined);
    return st?.isFile() ? st : undefined;
  };
  const withTag = await insideRoot(d.versionsRoot, tagFilename(rel, formatTag(versionTimeMs)));
  const st = await regular(withTag);
  if (st) return { abs: withTag, mtime: st.mtime };
  // An untagged copy (trashcan) is the version whose mtime, to the second, is the one asked for.
  const plain = await insideRoot(d.versionsRoot, rel);
  const pst = await regular(plain);
  if (pst && trunc(pst.mtimeMs) === trunc(versionTimeMs)) return { abs: plain, mtime: pst.mtime };
  return undefined;
}

/**
 * Every version file of the folder path `rel` in the store directory `absDir` (already checked by
 * the caller), oldest first: by name, which sorts by tag.
 */
export async function versionsIn(absDir: string, rel: string): Promise<string[]> {
  const slash = rel.lastIndexOf('/');
  const relDir = rel.slice(0, slash + 1);
  let names: string[];
  try {
    names = await fs.readdir(absDir);
  } catch (err) {
    if (isMissing(err)) return [];
    throw err;
  }
  const base = rel.slice(slash + 1);
  return names
    .filter((n) => untagFilename(n)?.name === base)
    .sort()
    .map((n) => relDir + n);
}
