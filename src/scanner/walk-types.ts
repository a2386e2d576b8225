import type { Pattern } from './ignore-pattern.js';

/** What the scan worker reports about one directory entry (an lstat, never following links). */
export interface WalkEntry {
  name: string;
  /** 0 file, 1 directory, 4 symlink */
  kind: 0 | 1 | 4;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  mode: number;
  target?: string;
}

export interface WalkError {
  name: string;
  error: string;
}

export interface WalkRequest {
  root: string;
  /**
   * The folder's expanded ignore patterns (plain data, compiled again in the worker), left out
   * when the worker already holds them compiled under `ignoreKey` (see IGNORE_CACHE).
   */
  ignore?: Pattern[];
  /** Names the pattern set (its hash): the worker keeps the last few compiled by this key. */
  ignoreKey: string;
  sub: string;
  autoNormalize: boolean;
  /** Temporary files older than this are removed (hours; 0 keeps them). */
  keepTemporariesH: number;
  nowMs: number;
}

export interface HashRequestFile {
  name: string;
  blockSize: number;
  /** Previous block size, for the hysteresis when the size turns out different. */
  previousBlockSize?: number;
}

export interface HashResult {
  name: string;
  size: number;
  mtimeNs: bigint;
  ctimeNs: bigint;
  mode: number;
  blockSize: number;
  /** 32 bytes per block. */
  hashes: Uint8Array;
  error?: string;
  /** The file is gone (not an error: a watcher-triggered scan often chases deleted files). */
  vanished?: boolean;
}

/**
 * Every request carries a cancel flag in shared memory: the worker's loops are synchronous and
 * never see a message while they run, but they read the flag between entries and between blocks,
 * so a cancelled walk or hash stops within a block's time.
 */
export type WorkerRequest =
  | ({ op: 'walk'; id: number; cancel: Int32Array } & WalkRequest)
  | { op: 'hash'; id: number; cancel: Int32Array; root: string; files: HashRequestFile[] };

/** The error text a worker answers a cancelled request with. */
export const CANCELLED = 'cancelled';

export type WorkerReply =
  | { op: 'entries'; id: number; entries: WalkEntry[]; errors: WalkError[] }
  | { op: 'walked'; id: number }
  | { op: 'hashed'; id: number; results: HashResult[] }
  /** Bytes hashed since the last report, while a hash request runs (the result counts only the rest). */
  | { op: 'progress'; id: number; bytes: number }
  | { op: 'failed'; id: number; error: string };

/**
 * How many compiled pattern sets a worker keeps, least recently used first out. The pool mirrors
 * the worker's list per worker and sends the patterns only when they are not in it.
 */
export const IGNORE_CACHE = 8;

/** Moves `key` to the front of a most-recently-used list bounded to IGNORE_CACHE; returns whether it was there. */
export function touchKey(list: string[], key: string): boolean {
  const i = list.indexOf(key);
  if (i >= 0) list.splice(i, 1);
  list.unshift(key);
  if (list.length > IGNORE_CACHE) list.length = IGNORE_CACHE;
  return i >= 0;
}
