import { messageOf } from './errors.js';

/**
 * The one way to start work without awaiting it: a failure is logged with what the work was,
 * never left as an unhandled rejection (which would end the process). Lint refuses any other
 * floating promise, `void` included.
 */
export function background(work: Promise<unknown>, log: (message: string) => void, what: string): void {
  work.catch((err: unknown) => log(`${what}: ${messageOf(err)}`));
}
