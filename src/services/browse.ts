import fs from 'node:fs/promises';
import path from 'node:path';
import { expandTilde } from '../shared/paths.js';

/** Glob for one path segment: `*`, `?` and `[...]`, as Go's filepath.Match. */
function segmentGlob(pattern: string, flags: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 1);
      if (end < 0) re += '\\[';
      else {
        let cls = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (cls.startsWith('^') || cls.startsWith('!')) cls = '^' + cls.slice(1);
        re += `[${cls}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${re}`, flags);
}

/**
 * GET /rest/system/browse: the directories whose path starts with `current` (a `~` is expanded and
 * glob characters in the last segment work, as in Syncthing 1.x), each with a trailing separator.
 * Exact-case matches come first, then case-insensitive ones, each group sorted.
 */
export async function browseDirectories(current: string, userHome: string): Promise<string[]> {
  if (current === '') return [path.sep];
  const search = expandTilde(current, userHome);
  const endsWithSep = current.endsWith(path.sep) || search.endsWith(path.sep) || current === '~';
  const dir = endsWithSep ? search : path.dirname(search);
  const prefix = endsWithSep ? '' : path.basename(search);
  let entries: import('node:fs').Dirent[];
  try {
    entries = await fs.readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
  const exact = segmentGlob(prefix, '');
  const folded = segmentGlob(prefix, 'i');
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
