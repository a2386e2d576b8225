import { spawn } from 'node:child_process';
import path from 'node:path';
import { projectRoot } from './test-server.js';

/** The shipped entry point (npm test builds it first). */
export const BIN = path.join(projectRoot, 'dist', 'main.js');

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `synchro ARGS` to completion with extra environment variables. */
export function runBin(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
