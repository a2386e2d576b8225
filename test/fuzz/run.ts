import { fuzzSession } from './fuzz-session.js';

// npm run fuzz: a long seeded session. FUZZ_RUNS (default 5000) and FUZZ_SEED (default: new).
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const runs = Number(process.env.FUZZ_RUNS ?? 5000);
const t0 = Date.now();
try {
  const out = await fuzzSession({ runs, seed, log: (s) => console.log(s) });
  console.log(`fuzz: ${out.requests} requests (shrinking included) in ${((Date.now() - t0) / 1000).toFixed(1)} s, seed ${seed}; statuses ${JSON.stringify(out.statuses)}`);
} catch (err) {
  console.error(`fuzz: FAILED with seed ${seed}; replay with FUZZ_SEED=${seed} FUZZ_RUNS=${runs} npm run fuzz\n${(err as Error).message}`);
  process.exitCode = 1;
}
