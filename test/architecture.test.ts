import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { projectRoot } from './support/test-server.js';

/**
 * The import rules of the architecture (rooms with a one-way graph, one importer per third-party
 * I/O library), checked on every run so they stay rules and not intentions.
 */

const SRC = path.join(projectRoot, 'src');
const LEAVES = ['config', 'auth', 'index', 'scanner', 'versioner', 'bep'];

/** Which rooms each room may import (besides itself). */
const ALLOWED: Record<string, string[]> = {
  shared: [],
  events: ['shared'],
  ...Object.fromEntries(LEAVES.map((r) => [r, ['shared']])),
  services: ['shared', 'events', ...LEAVES],
  http: ['shared', 'events', 'config', 'auth', 'services'],
  // The command-line client talks to the service over HTTP; it only reads config.xml itself.
  cli: ['shared', 'config'],
};

/** Third-party I/O libraries and the only files that may import them. */
const SOLE_IMPORTER: Record<string, (file: string) => boolean> = {
  chokidar: (f) => f === 'scanner/watcher.ts',
  'better-sqlite3': (f) => f === 'index/db.ts',
  'fast-xml-parser': (f) => f === 'config/xml.ts',
  bcryptjs: (f) => f === 'auth/password.ts',
  '@peculiar/x509': (f) => f === 'auth/certificate.ts',
  qrcode: (f) => f === 'http/qr.ts',
  koa: (f) => f.startsWith('http/'),
  '@koa/router': (f) => f.startsWith('http/'),
  'koa-bodyparser': (f) => f.startsWith('http/'),
  // argv parsing, not I/O: the entry point's command tree and the client's subcommands.
  commander: (f) => f === 'main.ts' || f === 'cli/program.ts',
  'prom-client': (f) => f === 'http/metrics.ts',
  fflate: (f) => f === 'services/support-bundle.ts',
  'lz4-napi': (f) => f === 'bep/lz4.ts',
};

async function sources(dir = SRC): Promise<string[]> {
  const out: string[] = [];
  for (const e of await fs.readdir(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) out.push(...(await sources(p)));
    else if (e.name.endsWith('.ts')) out.push(path.relative(SRC, p).split(path.sep).join('/'));
  }
  return out.sort();
}

/** Every import of a file: the specifier and whether it is type-only. */
function imports(text: string): { spec: string; typeOnly: boolean }[] {
  const out: { spec: string; typeOnly: boolean }[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?[^'";]*?from\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[2]!, typeOnly: m[1] !== undefined });
  for (const m of text.matchAll(/^import\s+['"]([^'"]+)['"]/gm)) out.push({ spec: m[1]!, typeOnly: false });
  for (const m of text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push({ spec: m[1]!, typeOnly: false });
  return out;
}

test('rooms import only what the architecture allows, and each I/O library has one importer', async () => {
  const problems: string[] = [];
  const files = await sources();
  assert.ok(files.length > 50);
  for (const file of files) {
    const room = file.includes('/') ? file.slice(0, file.indexOf('/')) : '(root)';
    const text = await fs.readFile(path.join(SRC, file), 'utf8');
    for (const { spec, typeOnly } of imports(text)) {
      if (spec.startsWith('.')) {
        const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec));
        const to = target.includes('/') ? target.slice(0, target.indexOf('/')) : '(root)';
        if (room === '(root)' || to === room) continue;
        if (target === 'app.js' && file !== 'main.ts') problems.push(`${file} imports the composition root`);
        const eventTypes = target === 'events/types.js' && typeOnly;
        if (ALLOWED[room] && !ALLOWED[room]!.includes(to) && !eventTypes) problems.push(`${file} (${room}) imports ${target}`);
      } else {
        const lib = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
        const only = SOLE_IMPORTER[lib];
        if (only && !only(file)) problems.push(`${file} imports ${lib}`);
      }
    }
  }
  assert.deepEqual(problems, []);
});
