import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { AppError } from '../shared/errors.js';
import { splitShellWords } from './shell-words.js';
import { intParam } from './tagged-versioner.js';
import { insideRoot, isMissing } from './version-fs.js';
import type { StoreDeps, Versioner } from './versioner.js';

const PLACEHOLDERS = ['%FOLDER_PATH%', '%FILE_PATH%', '%FOLDER_FILESYSTEM%'] as const;
/** A word that mixes a placeholder with these is a shell script in disguise: a file name could inject commands into it. */
const SHELL_SPECIAL = /[\s;&|<>$`'"(){}*?![\]\\]/;
const SECRET_ENV = ['STGUIAUTH', 'STGUIAPIKEY'];
/** Synchro's own param: how long the command may run before it is killed (Syncthing waits forever). */
const DEFAULT_TIMEOUT_S = 300;
const MAX_OUTPUT = 64 * 1024;

export interface ExternalDeps extends StoreDeps {
  /** Where the command's output goes (the versioner log facility). */
  log: (msg: string) => void;
}

/** The argv for one file: the command split shell-style, each placeholder replaced. */
export function externalArgv(command: string, values: Record<(typeof PLACEHOLDERS)[number], string>): string[] {
  if (command.trim() === '') throw new AppError('invalid', 'Versioner: command is empty, please enter a valid command');
  const words = splitShellWords(command);
  return words.map((w) => {
    const has = PLACEHOLDERS.filter((p) => w.includes(p));
    if (has.length === 0) return w;
    let rest = w;
    for (const p of has) rest = rest.split(p).join('');
    if (SHELL_SPECIAL.test(rest)) throw new AppError('invalid', `Versioner: command argument ${JSON.stringify(w)} mixes a placeholder with shell-special characters`);
    let out = w;
    for (const p of has) out = out.split(p).join(values[p]);
    return out;
  });
}

/**
 * "External File Versioning": a user command that must take the file away. The command runs
 * without a shell, with the placeholders also in its environment and the GUI credentials taken
 * out of it; it is killed after `commandTimeoutS`. Nothing is stored, so there is nothing to list,
 * restore or clean.
 */
export function externalVersioner(d: ExternalDeps, params: Record<string, string>): Versioner {
  const command = params.command ?? '';
  const timeoutMs = Math.max(1, intParam(params, 'commandTimeoutS', DEFAULT_TIMEOUT_S)) * 1000;
  const unsupported = () => new AppError('unsupported', 'version restoration not supported with the current versioner');
  return {
    type: 'external',
    async archive(rel) {
      const abs = await insideRoot(d.root, rel);
      const st = await fs.lstat(abs).catch((err: unknown) => {
        if (isMissing(err)) return undefined;
        throw err;
      });
      if (!st) return;
      if (st.isDirectory()) throw new AppError('invalid', 'not a file');
      const values = { '%FOLDER_PATH%': d.root, '%FILE_PATH%': rel.split('/').join(path.sep), '%FOLDER_FILESYSTEM%': 'basic' };
      const argv = externalArgv(command, values);
      await run(argv, values, timeoutMs, d.log);
      if (await fs.lstat(abs).then(() => true, () => false)) throw new AppError('internal', 'file was not removed by external script');
    },
    versions: () => Promise.reject(unsupported()),
    restore: () => Promise.reject(unsupported()),
    clean: () => Promise.resolve(),
  };
}

function run(argv: string[], values: Record<string, string>, timeoutMs: number, log: (msg: string) => void): Promise<void> {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!SECRET_ENV.includes(k)) env[k] = v;
  env.FOLDER_PATH = values['%FOLDER_PATH%'];
  env.FILE_PATH = values['%FILE_PATH%'];
  env.FOLDER_FILESYSTEM = values['%FOLDER_FILESYSTEM%'];
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32' });
    let output = '';
    const collect = (b: Buffer) => {
      if (output.length < MAX_OUTPUT) output += b.toString('utf8').slice(0, MAX_OUTPUT - output.length);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      // The whole process group: a script's own children must not outlive it.
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new AppError('internal', `Versioner: running ${argv[0]}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (output.trim()) log(`external command ${argv[0]}: ${output.trim()}`);
      if (timedOut) reject(new AppError('internal', `Versioner: external command timed out after ${timeoutMs / 1000} s`));
      else if (code !== 0) reject(new AppError('internal', `Versioner: external command ${signal ? `killed by ${signal}` : `exited with status ${code}`}${output.trim() ? `: ${output.trim().split('\n').at(-1)}` : ''}`));
      else resolve();
    });
  });
}
