import autocannon from 'autocannon';
import type { Server } from './servers.js';

/** Requests per second a server answers on `path` with `connections` keep-alive clients for `seconds`. */
export async function throughput(s: Server, path: string, connections = 50, seconds = 5): Promise<number> {
  const result = await autocannon({
    url: s.base + path,
    connections,
    duration: seconds,
    headers: { 'X-API-Key': s.key },
  });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${path}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result.requests.average;
}
