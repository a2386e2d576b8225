import { Session } from 'node:inspector/promises';
import v8 from 'node:v8';
import type { Readable } from 'node:stream';

/**
 * CPU profiles and heap snapshots of this process, in the formats Chrome DevTools loads
 * (.cpuprofile and .heapsnapshot). V8's inspector does the sampling on its own thread, so a
 * profile of any length leaves the event loop free; only the heap snapshot stops the world.
 */

/** The longest CPU profile we take: a forgotten profile must not run for hours. */
export const MAX_CPU_PROFILE_MS = 5 * 60 * 1000;

/** Samples the CPU for `ms` (or until `signal` aborts) and returns the profile as JSON text. */
export async function cpuProfile(ms: number, signal?: AbortSignal): Promise<string> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener('abort', done);
        resolve();
      }
      signal?.addEventListener('abort', done, { once: true });
    });
    const { profile } = await session.post('Profiler.stop');
    return JSON.stringify(profile);
  } finally {
    session.disconnect();
  }
}

/**
 * What the support bundle carries, as Syncthing's carries a CPU and a heap profile: a CPU profile
 * and a sampling heap profile (.heapprofile: where the bytes allocated meanwhile and still live
 * were allocated) taken together over `ms`, and V8's heap statistics per space. A snapshot would
 * be tens of megabytes and stop the world; these are small and sampled off the event loop.
 */
export async function supportProfiles(ms: number): Promise<{ cpu: string; heap: string; heapStatistics: object }> {
  const session = new Session();
  session.connect();
  try {
    await session.post('Profiler.enable');
    await session.post('HeapProfiler.enable');
    await session.post('Profiler.start');
    await session.post('HeapProfiler.startSampling', { samplingInterval: 32 * 1024 });
    await new Promise((r) => setTimeout(r, ms));
    const { profile: heap } = await session.post('HeapProfiler.stopSampling');
    const { profile: cpu } = await session.post('Profiler.stop');
    const heapStatistics = { total: v8.getHeapStatistics(), spaces: v8.getHeapSpaceStatistics() };
    return { cpu: JSON.stringify(cpu), heap: JSON.stringify(heap), heapStatistics };
  } finally {
    session.disconnect();
  }
}

/** A heap snapshot as a stream of its JSON text. */
export function heapSnapshot(): Readable {
  return v8.getHeapSnapshot();
}
