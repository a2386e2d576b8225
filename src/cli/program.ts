import { Command, CommanderError, InvalidArgumentError } from 'commander';
import { AppError, messageOf } from '../shared/errors.js';
import { EXIT_ERROR_ANSWER, EXIT_UNREACHABLE, render, request, Unreachable, type Answer } from './client.js';
import { ProgressView, type ProgressOut } from './progress.js';
import { resolveTarget, type Target } from './target.js';

export interface CliIo {
  stdout: { write(s: string): unknown };
  stderr: ProgressOut;
  env: NodeJS.ProcessEnv;
  /** The home to read config.xml from when --home is not given. */
  defaultHome: string;
}

const METHODS = ['get', 'post', 'put', 'patch', 'delete'];
/** Calls that can run as jobs (`_async`), and so can be waited for with a progress display. */
const JOB_PATHS = ['db/scan', 'db/revert', 'db/override', 'folder/versions'];

class Failed extends Error {
  constructor(
    message: string,
    readonly code: number,
  ) {
    super(message);
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function keyValue(s: string, acc: [string, string][] = []): [string, string][] {
  const i = s.indexOf('=');
  if (i <= 0) throw new Failed(`want key=value, got ${JSON.stringify(s)}`, EXIT_ERROR_ANSWER);
  return [...acc, [s.slice(0, i), s.slice(i + 1)]];
}

function check(r: Answer, what: string): Answer {
  if (r.status >= 200 && r.status < 300) return r;
  throw new Failed(`${what}: ${r.status}${r.text.trim() ? `: ${r.text.trim()}` : ''}`, EXIT_ERROR_ANSWER);
}

const relPath = (p: string) => p.replace(/^\/+/, '').replace(/^rest\//, '');

/** A value from the command line: JSON when it parses (true, 3, "x", [..]), else the text itself. */
function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sets `a.b.c` in an object, refusing to walk through anything that is not an object. */
function assign(obj: Record<string, unknown>, dotted: string, value: unknown): void {
  const keys = dotted.split('.');
  let o: Record<string, unknown> = obj;
  for (const k of keys.slice(0, -1)) {
    const next = o[k];
    if (next === null || typeof next !== 'object' || Array.isArray(next)) throw new Failed(`${dotted}: ${k} is not an object`, EXIT_ERROR_ANSWER);
    o = next as Record<string, unknown>;
  }
  const last = keys[keys.length - 1]!;
  if (!(last in o)) throw new Failed(`${dotted}: no such field`, EXIT_ERROR_ANSWER);
  o[last] = value;
}

/** `synchro cli …`: resolves to the process exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let code = 0;
  const program = new Command('synchro cli')
    .description("Calls the REST API of a running Synchro (or Syncthing). The address and API key come from --url/--api-key, SYNCHRO_URL/SYNCHRO_API_KEY, or the home's config.xml.")
    .option('--home <dir>', 'home whose config.xml names the address and key', io.defaultHome)
    .option('--url <url>', 'base URL of the service, e.g. http://127.0.0.1:8384')
    .option('--api-key <key>', 'API key')
    .addHelpText('after', `\nExit codes: 0 ok, 1 the server answered with an error, 2 the server could not be reached or found.\n\nExamples:\n  synchro cli GET system/status\n  synchro cli POST db/scan folder=default --wait\n  synchro cli PATCH config/folders/default --json '{"paused":true}'\n  synchro cli set config/folders/default paused=true\n  synchro cli events --types StateChanged,FolderSummary`)
    .showHelpAfterError()
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) });

  const target = (cmd: Command): Promise<Target> => {
    const o = cmd.optsWithGlobals<{ home: string; url?: string; apiKey?: string }>();
    return resolveTarget({ home: o.home, url: o.url, apiKey: o.apiKey, env: io.env });
  };

  for (const m of METHODS) {
    program
      .command(`${m} <path> [params...]`)
      .description(`${m.toUpperCase()} /rest/<path>; params are key=value query parameters (repeatable)`)
      .option('--json <body>', 'request body, as JSON')
      .option('--wait', `for ${JOB_PATHS.join(', ')}: run as a job and wait for it (progress on stderr)`)
      .action(async (p: string, params: string[], opts: { json?: string; wait?: boolean }, cmd: Command) => {
        const query = params.reduce<[string, string][]>((acc, kv) => keyValue(kv, acc), []);
        if (opts.json !== undefined) {
          try {
            JSON.parse(opts.json);
          } catch (err) {
            throw new Failed(`--json is not valid JSON: ${messageOf(err)}`, EXIT_ERROR_ANSWER);
          }
        }
        const t = await target(cmd);
        const method = m.toUpperCase();
        if (opts.wait) {
          if (!JOB_PATHS.includes(relPath(p))) throw new Failed(`--wait works for ${JOB_PATHS.join(', ')}`, EXIT_ERROR_ANSWER);
          return waitForJob(t, method, p, query, opts.json, io);
        }
        const r = check(await request(t, method, p, { query, body: opts.json }), `${method} ${p}`);
        io.stdout.write(render(r.text));
      });
  }

  program
    .command('events')
    .description('follows the event stream: one JSON line per event, until interrupted')
    .option('--types <list>', 'comma-separated event types (default: all but the disk events)')
    .option('--since <id>', 'start after this event id (default: only new events)', (v) => {
      if (!/^\d+$/.test(v)) throw new InvalidArgumentError('want an event id (a whole number)');
      return Number(v);
    })
    .action(async (opts: { types?: string; since?: number }, cmd: Command) => {
      const t = await target(cmd);
      const base: [string, string][] = opts.types ? [['events', opts.types]] : [];
      let since = opts.since;
      if (since === undefined) {
        const r = check(await request(t, 'GET', 'events', { query: [...base, ['since', '0'], ['timeout', '0'], ['limit', '1']] }), 'events');
        since = (JSON.parse(r.text) as { id: number }[]).at(-1)?.id ?? 0;
      }
      for (;;) {
        const r = check(await request(t, 'GET', 'events', { query: [...base, ['since', String(since)], ['timeout', '60']] }), 'events');
        for (const e of JSON.parse(r.text) as { id: number }[]) {
          io.stdout.write(JSON.stringify(e) + '\n');
          since = e.id;
        }
      }
    });

  program
    .command('set <path> <assignments...>')
    .description('read-modify-write of a config object: GET it with its ETag, change fields (a.b=value; JSON values allowed), PUT it back with If-Match; retried if someone else wrote in between')
    .action(async (p: string, assignments: string[], _opts: unknown, cmd: Command) => {
      if (!relPath(p).startsWith('config')) throw new Failed('set works on config objects (config/…)', EXIT_ERROR_ANSWER);
      const changes = assignments.reduce<[string, string][]>((acc, kv) => keyValue(kv, acc), []);
      const t = await target(cmd);
      for (let attempt = 1; ; attempt++) {
        const got = check(await request(t, 'GET', p), `GET ${p}`);
        const tag = got.headers.get('etag');
        const obj = JSON.parse(got.text) as Record<string, unknown>;
        if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) throw new Failed(`${p} is not an object`, EXIT_ERROR_ANSWER);
        for (const [k, v] of changes) assign(obj, k, parseValue(v));
        const put = await request(t, 'PUT', p, { body: JSON.stringify(obj), headers: tag ? { 'If-Match': tag } : {} });
        if (put.status === 412 && attempt < 5) continue;
        check(put, `PUT ${p}`);
        return;
      }
    });

  // HTTP methods may be given in capitals, as in `synchro cli GET system/status`.
  const first = argv.findIndex((a) => METHODS.includes(a.toLowerCase()) && a === a.toUpperCase());
  const args = argv.map((a, i) => (i === first ? a.toLowerCase() : a));
  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 1;
    code = err instanceof Failed ? err.code : err instanceof Unreachable || (err instanceof AppError && err.kind === 'not-found') ? EXIT_UNREACHABLE : 1;
    io.stderr.write(`synchro cli: ${messageOf(err)}\n`);
  }
  return code;
}

/** Starts the call as a job and follows it to the end, with a progress display for scans. */
async function waitForJob(t: Target, method: string, p: string, query: [string, string][], body: string | undefined, io: CliIo): Promise<void> {
  const r = check(await request(t, method, p, { query: [...query, ['_async', 'true']], body }), `${method} ${p}`);
  // A service without jobs (Syncthing itself) ignores _async and answers when the work is done:
  // that answer, often an empty 200, is the result.
  let jobid: unknown;
  try {
    jobid = (JSON.parse(r.text) as { jobid?: unknown } | null)?.jobid;
  } catch {
    jobid = undefined;
  }
  if (typeof jobid !== 'number') {
    io.stdout.write(render(r.text));
    return;
  }
  const folder = query.find(([k]) => k === 'folder')?.[1];
  const view = new ProgressView(io.stderr, `${relPath(p)}${folder ? ` ${folder}` : ''}`);
  const stop = () => void request(t, 'POST', 'jobs/stop', { query: [['jobid', String(jobid)]] }).catch(() => undefined);
  process.once('SIGINT', stop);
  try {
    for (;;) {
      const st = JSON.parse(check(await request(t, 'GET', 'jobs/status', { query: [['jobid', String(jobid)]] }), 'job status').text) as {
        finished: boolean;
        success: boolean;
        error: string;
        duration: number;
        output: unknown;
        progress: { current?: number; total?: number; state?: string } | null;
      };
      if (st.finished) {
        if (!st.success) {
          view.done(`failed: ${st.error}`);
          throw new Failed(`${method} ${p}: ${st.error}`, EXIT_ERROR_ANSWER);
        }
        view.done(`done in ${st.duration.toFixed(1)} s`);
        if (st.output !== null) io.stdout.write(JSON.stringify(st.output, null, 2) + '\n');
        return;
      }
      if (st.progress && typeof st.progress.total === 'number') view.update(st.progress.current ?? 0, st.progress.total, st.progress.state ?? '');
      await sleep(200);
    }
  } finally {
    process.removeListener('SIGINT', stop);
  }
}
