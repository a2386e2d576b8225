import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { AppError } from '../shared/errors.js';
import { splitShellWords } from './shell-words.js';

/**
 * Checks that keep a versioner from destroying what it should keep: where a store may be, and
 * which external commands may be given file names. They run when a folder's versioning is set
 * (config verify: 400 with the reason) and when its versioner is made (the folder goes into error
 * instead of versioning), so a setting from an older config file cannot do harm either.
 */

export interface Forbidden {
  /** Synchro's home: config, keys and index. */
  home?: string;
  /** Other folders' roots, by folder ID. */
  folders?: { id: string; root: string }[];
}

const PLACEHOLDERS = ['%FOLDER_PATH%', '%FILE_PATH%', '%FOLDER_FILESYSTEM%'];

/** `a` is `b` or lies below it (both absolute and normalised). */
const within = (a: string, b: string): boolean => a === b || a.startsWith(b.endsWith(path.sep) ? b : b + path.sep);

/** The path with every existing part's symlinks resolved (a store given through a link is where the link points). */
async function real(p: string): Promise<string> {
  const missing: string[] = [];
  let at = path.resolve(p);
  for (;;) {
    try {
      return path.join(await fs.realpath(at), ...missing.reverse());
    } catch {
      const parent = path.dirname(at);
      if (parent === at) return path.resolve(p);
      missing.push(path.basename(at));
      at = parent;
    }
  }
}

/**
 * A versions store may not be, contain or lie inside the folder (except the folder's own
 * `.stversions`, where Syncthing keeps it and the scanner never looks), another folder, or the
 * home: a cleanup there would delete user files as "old versions", and archives there would be
 * synced or mixed with the index. Throws AppError('invalid') saying which.
 */
export async function checkStorePlacement(root: string, store: string, forbidden: Forbidden = {}): Promise<void> {
  const [r, s] = [await real(root), await real(store)];
  const own = path.join(r, '.stversions');
  const say = (what: string) => new AppError('invalid', `the versions path ${store} ${what}; choose a directory of its own (or leave it empty for .stversions in the folder)`);
  if (within(s, own)) return;
  if (within(s, r)) throw say(s === r ? 'is the folder itself' : 'is inside the folder');
  if (within(r, s)) throw say('contains the folder');
  // A store above the user's home would have every file of theirs in reach of a cleanup.
  if (within(await real(os.homedir()), s)) throw say('contains your home directory');
  for (const f of forbidden.folders ?? []) {
    const other = await real(f.root);
    if (within(s, other) || within(other, s)) throw say(`overlaps folder ${JSON.stringify(f.id)}`);
  }
  if (forbidden.home !== undefined) {
    const home = await real(forbidden.home);
    if (within(s, home) || within(home, s)) throw say("overlaps Synchro's home directory");
  }
}

/** Wrappers that run the next word as the program (with the options they take before it). */
const WRAPPERS = new Set(['env', 'nice', 'nohup', 'ionice', 'command', 'exec', 'stdbuf', 'sudo', 'doas', 'chrt', 'taskset', 'busybox', 'setsid', 'timeout']);
const SHELLS = new Set(['sh', 'bash', 'dash', 'zsh', 'ksh', 'ksh93', 'mksh', 'pdksh', 'ash', 'yash', 'posh', 'rbash', 'fish', 'csh', 'tcsh']);
/** Interpreters and the options whose value is code. */
const CODE_FLAGS: Record<string, string[]> = {
  python: ['-c'],
  perl: ['-e', '-E'],
  ruby: ['-e'],
  node: ['-e', '--eval', '-p', '--print'],
  nodejs: ['-e', '--eval', '-p', '--print'],
  php: ['-r'],
  lua: ['-e'],
  pwsh: ['-c', '-command', '-Command'],
  osascript: ['-e'],
  awk: [],
};

/** `python3.11` is python, `ksh93` is ksh: the version suffix goes. */
function programName(w: string): string {
  const base = path.basename(w);
  return base.replace(/[\d.]+$/, '') || base;
}

/**
 * Refuses an external versioner command that hands a file name to an interpreter as code: a
 * placeholder inside the script of `sh -c` (or `bash -c`, `python -c`, `perl -e`, …) becomes
 * shell or program text, so a file named `a;touch x` — soon named by another device — would run
 * commands. The same name as a positional parameter is safe, and the message shows how.
 */
export function checkExternalCommand(command: string): void {
  const words = splitShellWords(command);
  let i = 0;
  // Past wrappers (and their options and VAR=value assignments) to the program itself.
  while (i < words.length) {
    const w = words[i]!;
    const base = path.basename(w);
    if (WRAPPERS.has(base)) {
      i++;
      while (i < words.length && (words[i]!.startsWith('-') || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[i]!) || (base === 'timeout' && /^\d/.test(words[i]!)) || (base === 'nice' && /^-?\d+$/.test(words[i]!)))) i++;
      continue;
    }
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(w)) {
      i++;
      continue;
    }
    break;
  }
  const program = words[i];
  if (program === undefined) return;
  const name = programName(program);
  const args = words.slice(i + 1);
  const hasPlaceholder = (w: string) => PLACEHOLDERS.some((p) => w.includes(p));
  const refuse = (how: string) => {
    throw new AppError(
      'invalid',
      `Versioner: the command gives a file name to ${how} as code, so a file name could run commands. ` +
        `Pass it as a positional parameter instead, e.g. sh -c 'mv "$1" /backup/' sh %FILE_PATH%`,
    );
  };
  if (SHELLS.has(name)) {
    // The script of -c is the first word that is not an option, wherever -c stands among the options.
    let sawC = false;
    for (let j = 0; j < args.length; j++) {
      const a = args[j]!;
      if (a === '--') continue;
      if (/^[-+][A-Za-z]+$/.test(a)) {
        if (a.slice(1).includes('c')) sawC = true;
        if (/^[-+]o$/i.test(a)) j++; // -o option-name
        continue;
      }
      if (a.startsWith('--')) continue;
      if (sawC && hasPlaceholder(a)) refuse(`the shell "${program} -c"`);
      break;
    }
    return;
  }
  const flags = CODE_FLAGS[name];
  if (!flags) return;
  for (let j = 0; j < args.length; j++) {
    const a = args[j]!;
    for (const f of flags) {
      if (a === f && j + 1 < args.length && hasPlaceholder(args[j + 1]!)) refuse(`"${program} ${f}"`);
      if (a.startsWith(f) && a.length > f.length && !a.startsWith('--') && hasPlaceholder(a)) refuse(`"${program} ${f}"`);
    }
  }
}
