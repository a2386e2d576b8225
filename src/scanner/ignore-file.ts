import fs from 'node:fs/promises';
import { constants } from 'node:fs';
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
 * Bounds on what .stignore and its includes may hold together. Syncthing has none; without one a
 * 40,000-line file took seconds of the event loop to compile and then more memory than a scan
 * worker may use, and every file of every scan is matched against every pattern.
 */
export const MAX_IGNORE_BYTES = 1 << 20;
export const MAX_IGNORE_LINES = 10_000;

/** Why `lines` (about to be written as .stignore) exceed the bounds, or undefined when they do not. */
export function ignoreLimitProblem(lines: readonly string[]): string | undefined {
  if (lines.length > MAX_IGNORE_LINES) return `too many ignore lines (${lines.length}; at most ${MAX_IGNORE_LINES})`;
  const bytes = lines.reduce((n, l) => n + Buffer.byteLength(l) + 1, 0);
  if (bytes > MAX_IGNORE_BYTES) return `ignore patterns too large (${bytes} bytes; at most ${MAX_IGNORE_BYTES})`;
  return undefined;
}

/** Counts what has been read so far against the bounds. */
class Budget {
  bytes = 0;
  lines = 0;
  take(bytes: number, lines: number, name: string): void {
    this.bytes += bytes;
    this.lines += lines;
    if (this.bytes > MAX_IGNORE_BYTES) throw new IgnoreSyntaxError(`${name}: ignore files too large (more than ${MAX_IGNORE_BYTES} bytes)`);
    if (this.lines > MAX_IGNORE_LINES) throw new IgnoreSyntaxError(`${name}: too many ignore lines (more than ${MAX_IGNORE_LINES})`);
  }
}

/**
 * Reads one ignore file, bounded, never blocking: it is opened non-blocking and must be a regular
 * file once open (a FIFO put there would otherwise hang the reader until someone wrote to it).
 * Symlinks are followed; the caller has checked where they lead. Returns the text and its mtime.
 */
async function readBounded(file: string, name: string, budget: Budget): Promise<{ text: string; mtimeMs: number }> {
  const fh = await fs.open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const st = await fh.stat();
    if (!st.isFile()) throw new IgnoreSyntaxError(`${name} is not a regular file`);
    budget.take(st.size, 0, name);
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    const text = decode(buf.subarray(0, got), name);
    return { text, mtimeMs: st.mtimeMs };
  } finally {
    await fh.close();
  }
}

/**
 * Reads a folder's .stignore (and its #includes, relative to the including file, never outside
 * the folder) into patterns, then compiles them in slices so that a big file never holds up the
 * event loop. Any error empties the pattern set and is reported in `error`.
 */
export async function loadIgnores(root: string): Promise<LoadedIgnores> {
  const main = path.join(root, '.stignore');
  const files = new Map<string, number>();
  const budget = new Budget();
  let lines: string[] | undefined;
  try {
    const { text, mtimeMs } = await readBounded(main, '.stignore', budget);
    files.set(main, mtimeMs);
    lines = text.split(/\r?\n/);
    if (lines.at(-1) === '') lines.pop();
    budget.take(0, lines.length, '.stignore');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return finish(undefined, [], undefined, files);
    if (err instanceof IgnoreSyntaxError) return finish([], [], `parse error: ${err.message}`, files);
    return finish(undefined, [], `parse error: ${(err as Error).message}`, files);
  }
  try {
    const seen = new Set<string>();
    const included = new Set<string>([main]);
    const patterns = await parseLines(lines, { root, dir: path.dirname(main), seen, included, files, budget });
    return await finish(lines, patterns, undefined, files);
  } catch (err) {
    return finish(lines, [], `parse error: ${(err as Error).message}`, files);
  }
}

function decode(buf: Buffer, name: string): string {
  const text = new TextDecoder('utf-8', { fatal: false }).decode(buf);
  if (text.includes('\uFFFD') && !buf.includes(Buffer.from('\uFFFD'))) throw new IgnoreSyntaxError(`${name} is not valid UTF-8`);
  return text;
}

interface ParseState {
  root: string;
  dir: string;
  seen: Set<string>;
  included: Set<string>;
  files: Map<string, number>;
  budget: Budget;
}

async function parseLines(lines: string[], st: ParseState): Promise<Pattern[]> {
  const out: Pattern[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line === '' || line.startsWith('//') || st.seen.has(line)) continue;
    st.seen.add(line);
    if (line === '#include' || line.startsWith('#include ') || line.startsWith('#include\t')) {
      const name = line.slice('#include'.length).trim();
      if (name === '') throw new IgnoreSyntaxError('failed to parse #include line: no file?');
      const file = path.resolve(st.dir, name);
      const rootAbs = path.resolve(st.root);
      if (file !== rootAbs && !file.startsWith(rootAbs + path.sep)) throw new IgnoreSyntaxError(`include file ${name} is outside the folder`);
      // A symlink inside the folder may point out of it: an API client must not read other files through one.
      if (!(await insideReal(file, rootAbs))) throw new IgnoreSyntaxError(`include file ${name} is outside the folder (through a symbolic link)`);
      if (st.included.has(file)) throw new IgnoreSyntaxError(`multiple include of ${name}`);
      st.included.add(file);
      let text: string;
      try {
        const read = await readBounded(file, name, st.budget);
        text = read.text;
        st.files.set(file, read.mtimeMs);
      } catch (err) {
        if (err instanceof IgnoreSyntaxError) throw err;
        throw new IgnoreSyntaxError(`failed to load include file ${name}: ${(err as Error).message}`);
      }
      const included = text.split(/\r?\n/);
      st.budget.take(0, included.length, name);
      out.push(...(await parseLines(included, { ...st, dir: path.dirname(file) })));
      continue;
    }
    out.push(...expandLine(line.normalize('NFC')));
  }
  return out;
}

/** True when `file` (if it exists) really lies inside `root` once every symlink is resolved. */
async function insideReal(file: string, root: string): Promise<boolean> {
  let real: string;
  try {
    real = await fs.realpath(file);
  } catch {
    return true; // a missing file is reported as such when it is read
  }
  const realRoot = await fs.realpath(root);
  return real === realRoot || real.startsWith(realRoot + path.sep);
}

async function finish(lines: string[] | undefined, patterns: Pattern[], error: string | undefined, files: Map<string, number>): Promise<LoadedIgnores> {
  const hash = createHash('sha256').update(patterns.map((p) => p.text + '\n').join('')).digest('hex');
  return { lines, patterns, matcher: await IgnoreMatcher.compile(patterns), error, hash, files };
}

/** True when .stignore or an included file changed since `loaded` was read. */
export async function ignoresChanged(root: string, loaded: LoadedIgnores | undefined): Promise<boolean> {
  if (!loaded) return true;
  const main = path.join(root, '.stignore');
  const exists = await fs.lstat(main).then(() => true, () => false);
  if (!exists) return loaded.lines !== undefined;
  if (!loaded.files.has(main)) return true;
  for (const [f, mtime] of loaded.files) {
    try {
      if ((await fs.stat(f)).mtimeMs !== mtime) return true;
    } catch {
      return true;
    }
  }
  return false;
}
