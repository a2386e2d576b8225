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
  /** The folder's expanded ignore patterns (plain data, compiled again in the worker). */
  ignore: Pattern[];
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

export type WorkerRequest =
  | ({ op: 'walk'; id: number } & WalkRequest)
  | { op: 'hash'; id: number; root: string; files: HashRequestFile[] };

export type WorkerReply =
  | { op: 'entries'; id: number; entries: WalkEntry[]; errors: WalkError[] }
  | { op: 'walked'; id: number }
  | { op: 'hashed'; id: number; results: HashResult[] }
  | { op: 'failed'; id: number; error: string };
