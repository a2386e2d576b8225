import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { syncSoak } from './sync-soak.js';

// npm run soak:sync: SYNC_SOAK_SECONDS (default 1800) with SYNC_SOAK_RESTARTS (default 10), inside the loopback-only namespace.
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'synchro-sync-soak-'));
try {
  const r = await syncSoak({ durationS: Number(process.env.SYNC_SOAK_SECONDS ?? 1800), restarts: Number(process.env.SYNC_SOAK_RESTARTS ?? 10), dir, log: (m) => console.log(m) });
  console.log(JSON.stringify(r, null, 2));
  const ok = r.differences.length === 0 && r.lost.length === 0;
  console.log(ok ? 'sync soak: PASS' : 'sync soak: FAIL');
  process.exitCode = ok ? 0 : 1;
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
