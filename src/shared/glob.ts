/**
 * Globs in gobwas/glob's dialect with `/` as the separator (what .stignore patterns use, and what
 * Syncthing's browse completes): `*` (any run without `/`), `**` (any run), `**​/` at a segment
 * start (zero or more whole directories), `?`, `[...]`, `[!...]`, `{a,b}` and `\x`.
 *
 * Matching never backtracks without bound, because patterns come from users and file names from
 * anywhere (soon from other devices). A pattern with at most one unbounded wildcard (a trailing
 * `**`, which can never fail once reached, does not count) compiles to a RegExp, which then needs
 * at most O(n·m) steps; anything with more wildcards runs on a small NFA simulated over the
 * input, O(n·states) whatever the pattern. `**a**a**a**b` against a long name is thus linear.
 */

export class GlobSyntaxError extends Error {}

/** Anything that tells whether a whole string matches. */
export interface Matcher {
  test(s: string): boolean;
}

type Node =
  | { k: 'lit'; s: string }
  | { k: 'one' } // ?
  | { k: 'star' } // * (no separator)
  | { k: 'super' } // ** (anything)
  | { k: 'dirs' } // **/ at a segment start: zero or more whole directories
  | { k: 'class'; neg: boolean; ranges: [number, number][] }
  | { k: 'alt'; alts: Node[][] };

const SEP = 0x2f; // '/'
/** Characters with no meaning in a glob (outside braces, where `,` and `}` end an alternative). */
const PLAIN = /[^\\*?[{},]+/y;

/** Parses a glob; throws GlobSyntaxError with a message that says what is wrong. */
function parse(glob: string): Node[] {
  let i = 0;
  const bad = (why: string) => new GlobSyntaxError(`invalid pattern ${JSON.stringify(glob)}: ${why}`);
  const seq = (inBraces: boolean): Node[] => {
    const out: Node[] = [];
    const lit = (s: string) => {
      const last = out[out.length - 1];
      if (last?.k === 'lit') last.s += s;
      else out.push({ k: 'lit', s });
    };
    const atSegmentStart = () => {
      const last = out[out.length - 1];
      return last === undefined || (last.k === 'lit' && last.s.endsWith('/'));
    };
    while (i < glob.length) {
      const c = glob[i]!;
      if (inBraces && (c === ',' || c === '}')) return out;
      i++;
      if (c === '\\') {
        if (i >= glob.length) throw bad('escape at end');
        const cp = glob.codePointAt(i)!;
        const ch = String.fromCodePoint(cp);
        i += ch.length;
        lit(ch);
      } else if (c === '*') {
        if (glob[i] === '*') {
          i++;
          if (atSegmentStart() && glob[i] === '/') {
            i++;
            out.push({ k: 'dirs' });
          } else quantifier(out, 'super');
        } else quantifier(out, 'star');
      } else if (c === '?') out.push({ k: 'one' });
      else if (c === '[') out.push(parseClass());
      else if (c === '{') {
        const alts: Node[][] = [];
        for (;;) {
          alts.push(seq(true));
          if (i >= glob.length) throw bad('unclosed {');
          if (glob[i++] === '}') break;
        }
        out.push({ k: 'alt', alts });
      } else if (c === ',' || c === '}') lit(c);
      else {
        // A run of plain characters at once (most of a typical pattern).
        PLAIN.lastIndex = i - 1;
        const run = PLAIN.exec(glob)![0];
        i += run.length - 1;
        lit(run);
      }
    }
    return out;
  };
  const parseClass = (): Node => {
    const end = glob.indexOf(']', i + 1);
    if (end < 0) throw bad('unclosed [');
    let body = glob.slice(i, end);
    i = end + 1;
    const neg = body.startsWith('!') || body.startsWith('^');
    if (neg) body = body.slice(1);
    const cps = [...body].map((ch) => ch.codePointAt(0)!);
    if (cps.length === 0) throw bad('empty character class');
    const ranges: [number, number][] = [];
    for (let j = 0; j < cps.length; j++) {
      const lo = cps[j]!;
      if (cps[j + 1] === 0x2d && j + 2 < cps.length) {
        const hi = cps[j + 2]!;
        if (hi < lo) throw bad(`character range ${String.fromCodePoint(lo)}-${String.fromCodePoint(hi)} is out of order`);
        ranges.push([lo, hi]);
        j += 2;
      } else ranges.push([lo, lo]);
    }
    return { k: 'class', neg, ranges };
  };
  return seq(false);
}

/**
 * Appends a wildcard, merging it with one just before it where the language stays the same:
 * `**` next to `*`, `**` or `**​/` is just `**`, and `**` is `*`. Fewer wildcards keep more
 * patterns on the RegExp path.
 */
function quantifier(out: Node[], k: 'star' | 'super'): void {
  const last = out[out.length - 1];
  if (last?.k === 'super' || (last?.k === 'star' && k === 'star')) return;
  if (k === 'super' && (last?.k === 'star' || last?.k === 'dirs')) out[out.length - 1] = { k: 'super' };
  else out.push({ k });
}

const quantifiers = (nodes: Node[]): number =>
  nodes.reduce((n, x) => n + (x.k === 'star' || x.k === 'super' || x.k === 'dirs' ? 1 : x.k === 'alt' ? x.alts.reduce((m, a) => m + quantifiers(a), 0) : 0), 0);

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/]/g;
const classChar = (cp: number) => {
  const ch = String.fromCodePoint(cp);
  return /[\\\]^-]/.test(ch) ? '\\' + ch : ch;
};

function toRegexSource(nodes: Node[]): string {
  let out = '';
  for (const n of nodes) {
    switch (n.k) {
      case 'lit':
        out += n.s.replace(REGEX_SPECIAL, '\\$&');
        break;
      case 'one':
        out += '[^/]';
        break;
      case 'star':
        out += '[^/]*';
        break;
      case 'super':
        out += '.*';
        break;
      case 'dirs':
        out += '(?:.*/)?';
        break;
      case 'class':
        out += `[${n.neg ? '^/' : ''}${n.ranges.map(([lo, hi]) => (lo === hi ? classChar(lo) : `${classChar(lo)}-${classChar(hi)}`)).join('')}]`;
        break;
      case 'alt':
        out += `(?:${n.alts.map(toRegexSource).join('|')})`;
        break;
    }
  }
  return out;
}

/**
 * A Thompson NFA: `char` states consume one code point that satisfies `test` and go to `out`;
 * `split` states branch without consuming; reaching `match` at the end of the input is a match.
 */
interface NfaState {
  op: 'char' | 'split' | 'match';
  test?: (cp: number) => boolean;
  out: number;
  out1: number;
}

class Nfa implements Matcher {
  private readonly states: NfaState[] = [];
  private readonly start: number;
  /** Literal pieces every match contains: a cheap test that rules out most inputs. */
  private readonly required: string[];
  private mark: Int32Array;
  private generation = 0;

  constructor(nodes: Node[]) {
    const matchState = this.add({ op: 'match', out: -1, out1: -1 });
    this.start = this.build(nodes, matchState);
    this.required = nodes.filter((n): n is { k: 'lit'; s: string } => n.k === 'lit').map((n) => n.s);
    this.mark = new Int32Array(this.states.length);
  }

  private add(s: NfaState): number {
    this.states.push(s);
    return this.states.length - 1;
  }

  /** Builds `nodes` in front of state `next`, back to front; returns the entry state. */
  private build(nodes: Node[], next: number): number {
    let entry = next;
    for (let j = nodes.length - 1; j >= 0; j--) entry = this.node(nodes[j]!, entry);
    return entry;
  }

  private loop(test: (cp: number) => boolean, next: number): number {
    const split = this.add({ op: 'split', out: -1, out1: next });
    this.states[split]!.out = this.add({ op: 'char', test, out: split, out1: -1 });
    return split;
  }

  private node(n: Node, next: number): number {
    switch (n.k) {
      case 'lit': {
        let entry = next;
        const cps = [...n.s].map((ch) => ch.codePointAt(0)!);
        for (let j = cps.length - 1; j >= 0; j--) {
          const want = cps[j]!;
          entry = this.add({ op: 'char', test: (cp) => cp === want, out: entry, out1: -1 });
        }
        return entry;
      }
      case 'one':
        return this.add({ op: 'char', test: (cp) => cp !== SEP, out: next, out1: -1 });
      case 'star':
        return this.loop((cp) => cp !== SEP, next);
      case 'super':
        return this.loop(() => true, next);
      case 'dirs': {
        // (.*/)? : either skip, or any run that ends with a separator.
        const slash = this.add({ op: 'char', test: (cp) => cp === SEP, out: next, out1: -1 });
        const run = this.loop(() => true, slash);
        return this.add({ op: 'split', out: run, out1: next });
      }
      case 'class': {
        const { neg, ranges } = n;
        const inside = (cp: number) => ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
        return this.add({ op: 'char', test: neg ? (cp) => cp !== SEP && !inside(cp) : inside, out: next, out1: -1 });
      }
      case 'alt': {
        let entry = -1;
        for (const alt of n.alts) {
          const e = this.build(alt, next);
          entry = entry < 0 ? e : this.add({ op: 'split', out: e, out1: entry });
        }
        return entry;
      }
    }
  }

  /** Adds `s` and what it reaches without consuming input to `list` (each state once per step). */
  private close(s: number, list: number[]): void {
    const stack = [s];
    while (stack.length > 0) {
      const x = stack.pop()!;
      if (this.mark[x] === this.generation) continue;
      this.mark[x] = this.generation;
      const st = this.states[x]!;
      if (st.op === 'split') {
        stack.push(st.out1, st.out);
      } else list.push(x);
    }
  }

  test(s: string): boolean {
    for (const r of this.required) if (!s.includes(r)) return false;
    if (this.generation > 0x7ffffff0) {
      this.mark = new Int32Array(this.states.length);
      this.generation = 0;
    }
    let current: number[] = [];
    this.generation++;
    this.close(this.start, current);
    for (const ch of s) {
      const cp = ch.codePointAt(0)!;
      const next: number[] = [];
      this.generation++;
      for (const x of current) {
        const st = this.states[x]!;
        if (st.op === 'char' && st.test!(cp)) this.close(st.out, next);
      }
      if (next.length === 0) return false;
      current = next;
    }
    return current.some((x) => this.states[x]!.op === 'match');
  }
}

/**
 * The shapes most patterns have (a plain .stignore line expands into four of them, `*.ext` into
 * a few more), answered with string operations instead of a RegExp: cheaper to build, and as
 * fast to run. Undefined for anything else.
 */
function shape(nodes: Node[]): Matcher | undefined {
  const kinds = nodes.map((n) => n.k).join(' ');
  const lit = (i: number) => (nodes[i] as { k: 'lit'; s: string }).s;
  switch (kinds) {
    case '':
      return { test: (x) => x === '' };
    case 'lit': {
      const a = lit(0);
      return { test: (x) => x === a };
    }
    case 'lit super': {
      const a = lit(0);
      return { test: (x) => x.startsWith(a) };
    }
    case 'super lit': {
      const a = lit(1);
      return { test: (x) => x.endsWith(a) };
    }
    case 'super lit super': {
      const a = lit(1);
      return { test: (x) => x.includes(a) };
    }
    case 'dirs lit': {
      const a = lit(1);
      const tail = '/' + a;
      return { test: (x) => x === a || x.endsWith(tail) };
    }
    case 'dirs lit super': {
      const a = lit(1);
      const inner = '/' + a;
      return { test: (x) => x.startsWith(a) || x.includes(inner) };
    }
    case 'star lit': {
      const a = lit(1);
      return { test: (x) => x.endsWith(a) && x.lastIndexOf('/', x.length - a.length - 1) < 0 };
    }
    case 'lit star': {
      const a = lit(0);
      return { test: (x) => x.startsWith(a) && x.indexOf('/', a.length) < 0 };
    }
    case 'dirs star lit': {
      // **/*.ext: the last segment ends with the literal (which itself has no separator).
      const a = lit(2);
      if (a.includes('/')) return undefined;
      return { test: (x) => x.endsWith(a) && x.length - a.length >= x.lastIndexOf('/') + 1 };
    }
    default:
      return undefined;
  }
}

/** The RegExp or NFA for what `shape` does not cover. */
function general(nodes: Node[]): Matcher {
  const last = nodes[nodes.length - 1];
  const unbounded = quantifiers(nodes) - (last?.k === 'super' ? 1 : 0);
  if (unbounded <= 1) return new RegExp(`^${toRegexSource(nodes)}$`, 'u');
  return new Nfa(nodes);
}

/**
 * Compiles a glob (throws GlobSyntaxError). Case is matched exactly; `foldCase` callers pass the
 * pattern lower-cased and `test` lower-cases the input (see compileFolded for callers that lower
 * the input once for many patterns).
 */
export function compileGlob(glob: string, foldCase = false): Matcher {
  const m = compileFolded(glob);
  return foldCase ? { test: (x) => m.test(x.toLowerCase()) } : m;
}

/** Like compileGlob, but exact-case: a case-folding caller lower-cases both sides itself. */
export function compileFolded(glob: string): Matcher {
  const nodes = parse(glob);
  return shape(nodes) ?? general(nodes);
}

/** Throws GlobSyntaxError when `glob` does not parse; compiles nothing. */
export function checkGlob(glob: string): void {
  parse(glob);
}

/** The NFA and the RegExp-or-NFA path even where a shape would do (tests compare all three). */
export function compileGlobNfa(glob: string): Matcher {
  return new Nfa(parse(glob));
}
export function compileGlobGeneral(glob: string): Matcher {
  return general(parse(glob));
}
