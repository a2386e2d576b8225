import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { expandLine, IgnoreMatcher, IgnoreSyntaxError, type Pattern } from './ignore-pattern.js';

export interface LoadedIgnores {
  /** The raw lines of .stignore (undefined when there is no file). */
  lines?: string[];
  patterns: Pattern[];
  matcher: IgnoreMatcher;
  error?: string;
  /** SHA-256 of the printed patterns: tells whether the ignores changed. */
  hash: string;
  /** mtimes of .stignore and every included file, to notice edits cheaply. */
  files: Map<string, number>;
}

/**
 * Reads a folder's .stignore (and its #includes, relative to the including file, never outside
 * the folder) into patterns. Any error empties the pattern set and is reported in `error`.
 */
export function loadIgnores(root: string): LoadedIgnores {
  const main = path.join(root, '.stignore');
  const files = new Map<string, number>();
  let lines: string[] | undefined;
  try {
    const text = fs.readFileSync(main);
    files.set(main, fs.statSync(main).mtimeMs);
    lines = decode(text, '.stignore').split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return finish(undefined, [], undefined, files);
    if (err instanceof IgnoreSyntaxError) return finish([], [], `parse error: ${err.message}`, files);
    return finish(undefined, [], `parse error: ${(err as Error).message}`, files);
  }
  try {
    const seen = new Set<string>();
    const included = new Set<string>([main]);
    const patterns = parseLines(lines, root, path.dirname(main), seen, included, files);
    return finish(lines, patterns, undefined, files);
  } catch (err) {
    return finish(lines, [], `parse error: ${(err as Error).message}`, files);
  }
}

function decode(buf: Buffer, name: string): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  if (text.includes('\uFFFD') && !buf.includes(Buffer.from('\uFFFD'))) throw new IgnoreSyntaxError(`${name} is not valid UTF-8`);
  return text;
}

function parseLines(lines: string[], root: string, dir: string, seen: Set<string>, included: Set<string>, files: Map<string, number>): Pattern[] {
  const out: Pattern[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('//') || seen.has(line)) continue;
    seen.add(line);
    if (line === '#include' || line.startsWith('#include ') || line.startsWith('#include\t')) {
      const name = line.slice('#include'.length).trim();
      if (name === '') throw new IgnoreSyntaxError('failed to parse #include line: no file?');
      const file = path.resolve(dir, name);
      const rootAbs = path.resolve(root);
      if (file !== rootAbs && !file.startsWith(rootAbs + path.sep)) throw new IgnoreSyntaxError(`include file ${name} is outside the folder`);
      // A symlink inside the folder may point out of it: an API client must not read other files through one.
      if (!insideReal(file, rootAbs)) throw new IgnoreSyntaxError(`include file ${name} is outside the folder (through a symbolic link)`);
      if (included.has(file)) throw new IgnoreSyntaxError(`multiple include of ${name}`);
      included.add(file);
      let text: string;
      try {
        text = decode(fs.readFileSync(file), name);
        files.set(file, fs.statSync(file).mtimeMs);
      } catch (err) {
        if (err instanceof IgnoreSyntaxError) throw err;
        throw new IgnoreSyntaxError(`failed to load include file ${name}: ${(err as Error).message}`);
      }
      out.push(...parseLines(text.split(/\r?\n/), root, path.dirname(file), seen, included, files));
      continue;
    }
    out.push(...expandLine(line.normalize('NFC')));
  }
  return out;
}

/** True when `file` (if it exists) really lies inside `root` once every symlink is resolved. */
function insideReal(file: string, root: string): boolean {
  let real: string;
  try {
    real = fs.realpathSync(file);
  } catch {
    return true; // a missing file is reported as such when it is read
  }
  const realRoot = fs.realpathSync(root);
  return real === realRoot || real.startsWith(realRoot + path.sep);
}

function finish(lines: string[] | undefined, patterns: Pattern[], error: string | undefined, files: Map<string, number>): LoadedIgnores {
  const hash = createHash('sha256').update(patterns.map((p) => p.text + '\n').join('')).digest('hex');
  return { lines, patterns, matcher: new IgnoreMatcher(patterns), error, hash, files };
}

/** True when .stignore or an included file changed since `loaded` was read. */
export function ignoresChanged(root: string, loaded: LoadedIgnores | undefined): boolean {
  if (!loaded) return true;
  const main = path.join(root, '.stignore');
  const exists = fs.existsSync(main);
  if (!exists) return loaded.lines !== undefined;
  if (!loaded.files.has(main)) return true;
  for (const [f, mtime] of loaded.files) {
    try {
      if (fs.statSync(f).mtimeMs !== mtime) return true;
    } catch {
      return true;
    }
  }
  return false;
}
