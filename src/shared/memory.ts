import v8 from 'node:v8';
import vm from 'node:vm';

/**
 * One full garbage collection, used after a scan that wrote many records. Node never tells V8 it
 * is idle, so the garbage of a 100,000-file scan would otherwise keep the heap (and RSS) at its
 * peak until the next allocation burst. A no-op where the flag cannot be set.
 */
let gc: (() => void) | undefined;
try {
  v8.setFlagsFromString('--expose-gc');
  gc = vm.runInNewContext('gc') as () => void;
} catch {
  gc = undefined;
}

export function releaseMemory(): void {
  gc?.();
}
