import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs/promises';
import { projectRoot } from '../support/test-server.js';
import { soak } from './soak.js';

// npm run soak: SOAK_SECONDS (default 600). Summary and plot in test-output/soak/.
const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'synchro-soak-'));
try {
  const s = await soak({ durationS: Number(process.env.SOAK_SECONDS ?? 600), warmupS: 60, polls: 10_000, sse: 200, rps: 1000, changesPerS: 100, dir, outDir: path.join(projectRoot, 'test-output', 'soak'), log: (m) => console.log(m) });
  console.log(JSON.stringify(s, null, 2));
  const ok = s.errors === 0 && s.pollErrors === 0 && s.sse.gaps === 0 && s.sse.disconnects === 0 && s.rssMiB.growthPct <= 10 && s.loopDelayP99Ms.run <= 50;
  console.log(ok ? 'soak: PASS' : 'soak: FAIL');
  process.exitCode = ok ? 0 : 1;
} finally {
  await fs.rm(dir, { recursive: true, force: true });
}
