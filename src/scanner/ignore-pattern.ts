/**
 * Syncthing's .stignore patterns (spec index §4): prefix flags, the expansion of one line into the
 * patterns GET /rest/db/ignores shows, gobwas-style globs (src/shared/glob.ts: linear matching, so
 * no pattern can make a scan hang), first match wins, and the rule that says when an ignored
 * directory need not be walked. Pure code: the scan worker compiles the same patterns from their
 * serialised form.
 */

import { checkGlob, compileFolded, GlobSyntaxError, type Matcher } from '../shared/glob.js';

export interface Pattern {
  /** As printed in `expanded`: (?d)(?i)! prefixes, then the glob (with its leading / when rooted). */
  text: string;
  glob: string;
  negated: boolean;
  foldCase: boolean;
  deletable: boolean;
}

export class IgnoreSyntaxError extends Error {}

function checkSyntax(glob: string): void {
  try {
    checkGlob(glob);
  } catch (err) {
    if (err instanceof GlobSyntaxError) throw new IgnoreSyntaxError(err.message);
    throw err;
  }
}

const PREFIXES = ['!', '(?i)', '(?d)'] as const;

/** Splits a line into its prefix flags and the glob; a repeated prefix ends the prefixes. */
function prefixes(line: string): { negated: boolean; foldCase: boolean; deletable: boolean; rest: string } {
  const seen = new Set<string>();
  let rest = line;
  for (;;) {
    const p = PREFIXES.find((x) => rest.startsWith(x));
    if (!p || seen.has(p)) break;
    seen.add(p);
    rest = rest.slice(p.length);
  }
  return { negated: seen.has('!'), foldCase: seen.has('(?i)'), deletable: seen.has('(?d)'), rest };
}

/** The expanded patterns of one .stignore line, in order. Throws IgnoreSyntaxError. */
export function expandLine(line: string): Pattern[] {
  const { negated, foldCase, deletable, rest } = prefixes(line);
  if (rest === '') throw new IgnoreSyntaxError('missing pattern');
  let p = foldCase ? rest.toLowerCase() : rest;
  if (p.endsWith('/') && !p.endsWith('/**')) p += '**';
  let globs: string[];
  if (p.endsWith('/**')) {
    if (p.startsWith('/')) globs = [p];
    else if (p.startsWith('**/')) globs = [p, p.slice(3)];
    else globs = [p, '**/' + p];
  } else if (p.startsWith('/')) globs = [p, p + '/**'];
  else if (p.startsWith('**/')) globs = [p, p.slice(3), p + '/**', p.slice(3) + '/**'];
  else globs = [p, '**/' + p, p + '/**', '**/' + p + '/**'];
  const flags = (deletable ? '(?d)' : '') + (foldCase ? '(?i)' : '') + (negated ? '!' : '');
  for (const g of globs) checkSyntax(g.startsWith('/') ? g.slice(1) : g); // reject bad syntax now
  return globs.map((glob) => ({ text: flags + glob, glob, negated, foldCase, deletable }));
}

/**
 * May an ignored directory's subtree be skipped once pattern `i` matched? Only while every earlier
 * negation (and this one) is rooted, has no further `/` but a trailing `/**`, and `**` only at its end.
 */
export function skipFlags(patterns: Pattern[]): boolean[] {
  let ok = true;
  return patterns.map((p) => {
    if (p.negated && ok) {
      let body = p.glob;
      if (!body.startsWith('/')) ok = false;
      else {
        body = body.slice(1);
        if (body.endsWith('/**')) body = body.slice(0, -3);
        const star = body.indexOf('**');
        if (body.includes('/') || (star >= 0 && star !== body.length - 2)) ok = false;
      }
    }
    return ok;
  });
}

export interface MatchResult {
  ignored: boolean;
  deletable: boolean;
  canSkipDir: boolean;
}

const compilePattern = (p: Pattern): Matcher => compileFolded(p.glob.startsWith('/') ? p.glob.slice(1) : p.glob);

/** A compiled pattern list; `match` takes a folder-relative, `/`-separated NFC path. */
export class IgnoreMatcher {
  private readonly globs: Matcher[];
  private readonly skip: boolean[];
  private readonly anyFolded: boolean;

  /** Compiles every pattern at once (see compile() for long lists on the main thread). */
  constructor(
    readonly patterns: Pattern[],
    globs?: Matcher[],
  ) {
    // (?i) patterns are lower-case already; the path is lowered once per match for all of them.
    this.globs = globs ?? patterns.map(compilePattern);
    this.skip = skipFlags(patterns);
    this.anyFolded = patterns.some((p) => p.foldCase);
  }

  /** The same matcher, compiled a slice at a time with the event loop served in between. */
  static async compile(patterns: Pattern[], sliceMs = 5): Promise<IgnoreMatcher> {
    const globs: Matcher[] = [];
    let sliceStart = performance.now();
    for (const p of patterns) {
      globs.push(compilePattern(p));
      if (performance.now() - sliceStart > sliceMs) {
        await new Promise<void>((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
    return new IgnoreMatcher(patterns, globs);
  }

  match(path: string): MatchResult {
    if (path === '' || path === '.') return { ignored: false, deletable: false, canSkipDir: false };
    const lower = this.anyFolded ? path.toLowerCase() : path;
    for (let i = 0; i < this.globs.length; i++) {
      const p = this.patterns[i]!;
      if (this.globs[i]!.test(p.foldCase ? lower : path)) {
        return { ignored: !p.negated, deletable: p.deletable, canSkipDir: !p.negated && this.skip[i]! };
      }
    }
    return { ignored: false, deletable: false, canSkipDir: false };
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }
}
