import http from 'node:http';
import type { Server } from './servers.js';
import { sleep } from './workloads.js';

/**
 * Event fan-out: many clients parked on /rest/events (or on Synchro's /rest/events/stream), one
 * config change, and the time until the last of them has its event. Same recipe as
 * ../shared/bench/events-fanout.mjs, with the parking confirmed rather than slept on.
 */

interface Parked {
  /** Resolves when every client has had its answer (or its event on a stream). */
  done: Promise<void>;
  /** performance.now() when the last one got it. */
  lastAt(): number;
  /** Clients that had an event before the change was made (some other event came): the round is void. */
  early(): number;
  arm(): void;
  close(): void;
}

function agentFor(n: number): http.Agent {
  return new http.Agent({ keepAlive: true, maxSockets: n + 16 });
}

function get(s: Server, agent: http.Agent, path: string, headers: Record<string, string> = {}): http.ClientRequest {
  const u = new URL(s.base);
  return http.get({ host: u.hostname, port: u.port, path, agent, headers: { 'X-API-Key': s.key, ...headers } });
}

async function lastId(s: Server): Promise<number> {
  const r = await fetch(`${s.base}/rest/events?limit=1&timeout=1`, { headers: { 'X-API-Key': s.key } });
  const a = (await r.json()) as { id: number }[];
  return a.at(-1)?.id ?? 0;
}

/** Opens `n` connections in waves (a burst of 10,000 SYNs only measures the listen backlog) and waits until each is parked. */
async function park(n: number, open: (i: number, parked: () => void, got: () => void) => http.ClientRequest): Promise<Parked> {
  let parked = 0;
  let got = 0;
  let last = 0;
  let armed = false;
  let early = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const reqs: http.ClientRequest[] = [];
  for (let i = 0; i < n; i++) {
    reqs.push(
      open(
        i,
        () => parked++,
        () => {
          last = performance.now();
          if (!armed) early++;
          if (++got === n) resolveDone();
        },
      ),
    );
    if (i % 500 === 499) while (parked < i - 1000) await sleep(5);
  }
  const deadline = Date.now() + 120_000;
  while (parked < n) {
    if (Date.now() > deadline) throw new Error(`only ${parked} of ${n} clients parked`);
    await sleep(10);
  }
  await sleep(300); // the last headers are out; let the server finish parking them
  return { done, lastAt: () => last, early: () => early, arm: () => void (armed = true), close: () => reqs.forEach((r) => r.destroy()) };
}

async function trigger(s: Server, round: number): Promise<number> {
  const t0 = performance.now();
  const r = await fetch(`${s.base}/rest/config/options`, {
    method: 'PATCH',
    headers: { 'X-API-Key': s.key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ reconnectionIntervalS: 30 + (round % 50) }),
  });
  if (!r.ok) throw new Error(`PATCH options: ${r.status}`);
  return t0;
}

/** Reads RSS while all are parked, makes the change, and times until the last client has it. */
async function fire(s: Server, p: Parked, agent: http.Agent, round: number, what: string): Promise<{ ms: number; rssMiB: number }> {
  const rssMiB = s.rssMiB();
  p.arm();
  const t0 = await trigger(s, round);
  await withTimeout(p.done, 60_000, what);
  p.close();
  agent.destroy();
  if (p.early() > 0) console.error(`bench: ${s.name}: ${what}: ${p.early()} clients had an event before the change; round void`);
  return { ms: p.early() > 0 ? NaN : p.lastAt() - t0, rssMiB };
}

/** ms from the config change until all `n` long polls have answered; RSS (MiB) while they were parked. */
export async function pollFanout(s: Server, n: number, round: number): Promise<{ ms: number; rssMiB: number }> {
  const agent = agentFor(n);
  const since = await lastId(s);
  const p = await park(n, (_, parked, got) => {
    const req = get(s, agent, `/rest/events?since=${since}&timeout=120`);
    req.on('response', (res) => {
      parked();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c) => (body += c));
      res.on('end', () => (body.includes('ConfigSaved') ? got() : undefined));
    });
    req.on('error', () => {});
    return req;
  });
  return fire(s, p, agent, round, `poll fan-out to ${n}`);
}

/** ms from the config change until all `n` event streams have the event (Synchro only). */
export async function streamFanout(s: Server, n: number, round: number): Promise<{ ms: number; rssMiB: number }> {
  const agent = agentFor(n);
  const p = await park(n, (_, parked, got) => {
    const req = get(s, agent, '/rest/events/stream?events=ConfigSaved');
    req.on('response', (res) => {
      parked();
      let seen = false;
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        if (!seen && c.includes('event: ConfigSaved')) {
          seen = true;
          got();
        }
      });
    });
    req.on('error', () => {});
    return req;
  });
  return fire(s, p, agent, round, `stream fan-out to ${n}`);
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let t: NodeJS.Timeout;
  return Promise.race([p, new Promise<never>((_, reject) => (t = setTimeout(() => reject(new Error(`${what}: not done after ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(t),
  );
}
