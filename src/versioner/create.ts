import path from 'node:path';
import { AppError } from '../shared/errors.js';
import { expandTilde } from '../shared/paths.js';
import { externalVersioner } from './external.js';
import { checkExternalCommand, checkStorePlacement, type Forbidden } from './guard.js';
import { simpleVersioner } from './simple.js';
import { staggeredVersioner } from './staggered.js';
import { trashcanVersioner } from './trashcan.js';
import type { Versioner } from './versioner.js';

export interface VersioningSettings {
  type: string;
  params: Record<string, string>;
  fsPath: string;
}

export interface CreateDeps {
  /** The folder root (absolute). */
  root: string;
  nowMs: () => number;
  log: (msg: string) => void;
}

/**
 * Where a folder's versions live: `.stversions` in the folder, or fsPath (`~` expanded, a
 * relative path taken from the folder root).
 */
export function versionsRoot(root: string, fsPath: string): string {
  if (fsPath === '') return path.join(root, '.stversions');
  const p = expandTilde(fsPath);
  return path.isAbsolute(p) ? p : path.join(root, p);
}

/**
 * Refuses versioning settings that would put user files at risk (see guard.ts): a store over the
 * folder, another folder or the home; an external command that runs file names as code.
 */
export async function checkVersioning(v: VersioningSettings, root: string, forbidden: Forbidden = {}): Promise<void> {
  if (v.type === '') return;
  if (v.type === 'external') return checkExternalCommand(v.params.command ?? '');
  if (['trashcan', 'simple', 'staggered'].includes(v.type)) await checkStorePlacement(root, versionsRoot(root, v.fsPath), forbidden);
}

/** The folder's versioner; undefined when versioning is off; an error for a type that does not exist. */
export function createVersioner(v: VersioningSettings, d: CreateDeps): Versioner | undefined {
  const store = { root: d.root, versionsRoot: versionsRoot(d.root, v.fsPath), nowMs: d.nowMs };
  switch (v.type) {
    case '':
      return undefined;
    case 'trashcan':
      return trashcanVersioner(store, v.params);
    case 'simple':
      return simpleVersioner(store, v.params);
    case 'staggered':
      return staggeredVersioner(store, v.params);
    case 'external':
      return externalVersioner({ ...store, log: d.log }, v.params);
    default:
      throw new AppError('invalid', `requested versioning type ${JSON.stringify(v.type)} does not exist`);
  }
}
