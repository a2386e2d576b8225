import fs from 'node:fs/promises';
import path from 'node:path';
import { expandTilde } from '../shared/paths.js';
import { AppError } from '../shared/errors.js';
import { compileGlob, GlobSyntaxError, type Matcher } from '../shared/glob.js';

/**
 * A name glob as Go's filepath.Match reads it (`*`, `?`, `[...]` with `^` or `!`, `\` escapes;
 * braces are plain characters there), matched as a prefix, in linear time whatever the pattern:
 * `****e` against a long name is no slower than `e`. Throws AppError('invalid') for a pattern Go
 * calls malformed (an unclosed or reversed `[...]`).
 */
function nameGlob(pattern: string, foldCase: boolean): Matcher {
  const literalBraces = pattern.replace(/[{},]/g, '\\$&');
  try {
    return compileGlob((foldCase ? literalBraces.toLowerCase() : literalBraces) + '*', foldCase);
  } catch (err) {
    if (err instanceof GlobSyntaxError) throw new AppError('invalid', err.message);
    throw err;
  }
}

/**
 * GET /rest/system/browse: the directories whose path starts with `current` (a `~` is expanded),
 * each with a trailing separator. Glob characters in the last segment work as Syncthing's REST
 * documentation describes (`/var/*o`); Syncthing 1.19 and 1.27 themselves match a plain prefix
 * only, so there `/var/*o` finds nothing — a name with a literal `*`, `?` or `[` is the only
 * case where the glob finds less.
 * The glob is checked before the directory is read, so a malformed one is a 400 wherever it points.
 * Exact-case matches come first, then case-insensitive ones, each group sorted.
 */
export async function browseDirectories(current: string, userHome: string): Promise<string[]> {
  if (current === '') return [path.sep];
  const search = expandTilde(current, userHome);
  // A bare `~` is the home directory's own entry (["/home/me/"]), as Syncthing answers; `~/` lists inside it.
  const endsWithSep = current.endsWith(path.sep) || search.endsWith(path.sep);
  const dir = endsWithSep ? search : path.dirname(search);
  const prefix = endsWithSep ? '' : path.basename(search);
  const exact = nameGlob(prefix, false);
  const folded = nameGlob(prefix, true);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const first: string[] = [];
  const second: string[] = [];
  for (const e of entries) {
    let isDir = e.isDirectory();
    if (e.isSymbolicLink()) isDir = await fs.stat(path.join(dir, e.name)).then((s) => s.isDirectory(), () => false);
    if (!isDir) continue;
    const full = path.join(dir, e.name) + path.sep;
    if (exact.test(e.name)) first.push(full);
    else if (folded.test(e.name)) second.push(full);
  }
  return [...first.sort(), ...second.sort()];
}
