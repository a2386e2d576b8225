import { createHash } from 'node:crypto';

/** File names with special meaning to Syncthing, and names other systems cannot hold. */

const TEMP_PREFIXES = ['~syncthing~', '.syncthing.'];
const INTERNAL = new Set(['.stfolder', '.stignore', '.stversions']);

/** Syncthing's temporary files, recognised anywhere in the tree on every OS. */
export function isTemporary(baseName: string): boolean {
  return TEMP_PREFIXES.some((p) => baseName.startsWith(p));
}

/** .stfolder, .stignore, .stversions and anything under them — at the folder root only. */
export function isInternal(relPath: string): boolean {
  const first = relPath.split('/', 1)[0]!;
  return INTERNAL.has(first);
}

/** Longer base names (in bytes) are hashed in a temp name, as 1.19.2's fs.TempName does. */
const MAX_TEMP_BASE = 160 - '.syncthing.'.length - '.tmp'.length;

/** 1.19.2's temp name for `relPath`: `.syncthing.<base>.tmp` beside it, the base's SHA-256 in hex when it is long. */
export function tempName(relPath: string): string {
  const slash = relPath.lastIndexOf('/');
  const base = relPath.slice(slash + 1);
  const t = Buffer.byteLength(base) > MAX_TEMP_BASE ? `.syncthing.${createHash('sha256').update(base).digest('hex')}.tmp` : `.syncthing.${base}.tmp`;
  return slash < 0 ? t : `${relPath.slice(0, slash)}/${t}`;
}

const WINDOWS_RESERVED = /^(CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9])(\..*)?$/i;
 
const WINDOWS_BAD_CHARS = /[<>:"|?*\\\x00-\x1f]/;

/** Why Windows could not hold this name (Syncthing's texts), or undefined when it can. */
export function windowsNameProblem(relPath: string): string | undefined {
  for (const part of relPath.split('/')) {
    if (WINDOWS_RESERVED.test(part)) return 'name is invalid, is a Windows reserved name';
    if (WINDOWS_BAD_CHARS.test(part)) return 'name is invalid, contains Windows reserved character';
    if (/[ .]$/.test(part)) return 'name is invalid, must not end with space or period';
  }
  return undefined;
}
