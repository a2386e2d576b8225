/**
 * Syncthing's .stignore patterns (spec index §4): prefix flags, the expansion of one line into the
 * patterns GET /rest/db/ignores shows, a gobwas-style glob compiled to a RegExp, first match wins,
 * and the rule that says when an ignored directory need not be walked. Pure code: the scan worker
 * compiles the same patterns from their serialised form.
 */

export interface Pattern {
  /** As printed in `expanded`: (?d)(?i)! prefixes, then the glob (with its leading / when rooted). */
  text: string;
  glob: string;
  negated: boolean;
  foldCase: boolean;
  deletable: boolean;
}

export class IgnoreSyntaxError extends Error {}

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
  for (const g of globs) compileGlob(g.startsWith('/') ? g.slice(1) : g, foldCase); // reject bad syntax now
  return globs.map((glob) => ({ text: flags + glob, glob, negated, foldCase, deletable }));
}

const special = /[.+^${}()|[\]\\*?]/g;

/** gobwas/glob with `/` as separator: * ? [...] [!...] {a,b} \\x and **, compiled to a RegExp. */
export function compileGlob(glob: string, foldCase: boolean): RegExp {
  let i = 0;
  const parse = (inBraces: boolean): string => {
    let out = '';
    while (i < glob.length) {
      const c = glob[i]!;
      if (inBraces && (c === ',' || c === '}')) return out;
      i++;
      if (c === '\\') {
        if (i >= glob.length) throw new IgnoreSyntaxError(`invalid pattern ${JSON.stringify(glob)}: escape at end`);
        out += glob[i++]!.replace(special, '\\$&');
      } else if (c === '*') {
        if (glob[i] === '*') {
          i++;
          const before = out === '' || out.endsWith('/');
          // "**/" matches zero or more whole directories, so foo/**/bar also matches foo/bar.
          if (before && glob[i] === '/') {
            i++;
            out += '(?:.*/)?';
          } else out += '.*';
        } else out += '[^/]*';
      } else if (c === '?') out += '[^/]';
      else if (c === '[') {
        const end = glob.indexOf(']', i + 1);
        if (end < 0) throw new IgnoreSyntaxError(`invalid pattern ${JSON.stringify(glob)}: unclosed [`);
        let cls = glob.slice(i, end);
        i = end + 1;
        const neg = cls.startsWith('!') || cls.startsWith('^');
        if (neg) cls = cls.slice(1);
        if (cls === '') throw new IgnoreSyntaxError(`invalid pattern ${JSON.stringify(glob)}: empty character class`);
        out += `[${neg ? '^/' : ''}${cls.replace(/[\\\]^]/g, '\\$&')}]`;
      } else if (c === '{') {
        const alts: string[] = [];
        for (;;) {
          alts.push(parse(true));
          if (i >= glob.length) throw new IgnoreSyntaxError(`invalid pattern ${JSON.stringify(glob)}: unclosed {`);
          if (glob[i++] === '}') break;
        }
        out += `(?:${alts.join('|')})`;
      } else out += c.replace(special, '\\$&');
    }
    return out;
  };
  const src = parse(false);
  return new RegExp(`^${src}$`, foldCase ? 'iu' : 'u');
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

/** A compiled pattern list; `match` takes a folder-relative, `/`-separated NFC path. */
export class IgnoreMatcher {
  private readonly res: RegExp[];
  private readonly skip: boolean[];

  constructor(readonly patterns: Pattern[]) {
    this.res = patterns.map((p) => compileGlob(p.glob.startsWith('/') ? p.glob.slice(1) : p.glob, p.foldCase));
    this.skip = skipFlags(patterns);
  }

  match(path: string): MatchResult {
    if (path === '' || path === '.') return { ignored: false, deletable: false, canSkipDir: false };
    for (let i = 0; i < this.res.length; i++) {
      if (this.res[i]!.test(path)) {
        const p = this.patterns[i]!;
        return { ignored: !p.negated, deletable: p.deletable, canSkipDir: !p.negated && this.skip[i]! };
      }
    }
    return { ignored: false, deletable: false, canSkipDir: false };
  }

  get empty(): boolean {
    return this.patterns.length === 0;
  }
}
