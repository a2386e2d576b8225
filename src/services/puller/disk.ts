import type { BigIntStats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Size } from '../../config/types.js';
import type { BriefRecord } from '../../index/index-store.js';
import { AppError } from '../../shared/errors.js';
import { FileType } from '../../shared/file-info.js';

/** What 1.19.2 says when the disk differs from the index before it replaces or deletes something. */
export const ERR_MODIFIED = 'file modified but not rescanned; will try again later';

export class PullError extends Error {
  /** `rescan`: names that must be scanned before the item can be tried again. */
  constructor(
    message: string,
    readonly rescan: string[] = [],
  ) {
    super(message);
    this.name = 'PullError';
  }
}

export const code = (err: unknown): string | undefined => (err as NodeJS.ErrnoException | undefined)?.code;

/** Lstat with nanoseconds, undefined when nothing is there. */
export async function lstatOrNone(abs: string): Promise<BigIntStats | undefined> {
  try {
    return await fs.lstat(abs, { bigint: true });
  } catch (err) {
    if (code(err) === 'ENOENT' || code(err) === 'ENOTDIR') return undefined;
    throw err;
  }
}

/**
 * Walks the parents of `rel` under `root`: every one that exists must be a real directory (no
 * symlink, nothing else), so nothing the puller writes can land outside the folder. Returns the
 * first parent that does not exist ('' when all do).
 */
export async function checkParents(root: string, rel: string): Promise<string> {
  const segs = rel.split('/').slice(0, -1);
  for (let i = 1; i <= segs.length; i++) {
    const dir = segs.slice(0, i).join('/');
    const st = await lstatOrNone(path.join(root, dir));
    if (!st) return dir;
    if (st.isSymbolicLink()) throw new PullError(`checking parent dirs: traverses symlink: ${dir}`);
    if (!st.isDirectory()) throw new PullError(`checking parent dirs: not a directory: ${dir}`);
  }
  return '';
}

/**
 * Whether what is on disk is what the index holds of it (1.19.2's scanIfItemChanged): same
 * type, and for files the size and mtime (through the mtime map: `cur` is the record as change
 * detection sees it), permissions unless ignored, a symlink's target.
 */
export async function diskMatches(abs: string, st: BigIntStats, cur: BriefRecord | undefined, ignorePerms: boolean): Promise<boolean> {
  if (!cur || cur.deleted) return false;
  const kind = st.isSymbolicLink() ? FileType.Symlink : st.isDirectory() ? FileType.Directory : st.isFile() ? FileType.File : -1;
  if (kind !== cur.type) return false;
  if (kind === FileType.Symlink) return (await fs.readlink(abs)) === cur.symlinkTarget;
  if (!ignorePerms && !cur.noPermissions && Number(st.mode & 0o777n) !== cur.permissions) return false;
  if (kind === FileType.File) return Number(st.size) === cur.size && st.mtimeNs === cur.modifiedNs;
  return true;
}

/** Free and total bytes where the folder is. */
export async function usage(root: string): Promise<{ free: number; total: number } | undefined> {
  try {
    const s = await fs.statfs(root);
    return { free: s.bavail * s.bsize, total: s.blocks * s.bsize };
  } catch {
    return undefined;
  }
}

const UNIT: Record<string, number> = { '': 1, k: 1e3, m: 1e6, g: 1e9, t: 1e12 };

/** 1.19.2's Size.BaseValue: the value times its SI unit (kB, MB, GB, TB), or the percentage itself. */
export function baseValue(s: Size): number {
  const u = s.unit.toLowerCase().replace(/b$/, '').replace('%', '');
  return s.value * (UNIT[u] ?? 1);
}

function formatSI(b: number): string {
  if (b < 1000) return `${b} `;
  if (b < 1e6) return `${(b / 1e3).toFixed(1)} K`;
  if (b < 1e9) return `${(b / 1e6).toFixed(1)} M`;
  if (b < 1e12) return `${(b / 1e9).toFixed(1)} G`;
  return `${(b / 1e12).toFixed(1)} T`;
}

/**
 * 1.19.2's CheckAvailableSpace: taking `need` more bytes must leave at least minDiskFree (an
 * absolute size or a percentage of the disk). Returns the problem, or undefined.
 */
export async function spaceProblem(root: string, need: number, minDiskFree: Size): Promise<string | undefined> {
  const min = baseValue(minDiskFree);
  if (min <= 0) return undefined;
  const u = await usage(root);
  if (!u) return undefined;
  if (u.free < need) return `current ${formatSI(u.free)}B < required ${formatSI(need)}B`;
  const free = u.free - need;
  if (minDiskFree.unit.includes('%')) {
    const pct = (free / u.total) * 100;
    return pct < min ? `current ${pct.toFixed(2)} % < required ${minDiskFree.value} ${minDiskFree.unit}` : undefined;
  }
  return free < min ? `current ${formatSI(free)}B < required ${minDiskFree.value} ${minDiskFree.unit}` : undefined;
}

/** The path the kernel gives for an open descriptor must be `want`: nothing on the way was swapped for a link. */
export async function checkOpenedPath(fd: number, want: string): Promise<void> {
  const real = await fs.readlink(`/proc/self/fd/${fd}`).catch(() => undefined);
  if (real !== undefined && real !== want) throw new AppError('internal', `opened ${real} instead of ${want}`);
}
