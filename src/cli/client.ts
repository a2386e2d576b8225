import { AppError } from '../shared/errors.js';
import type { Target } from './target.js';

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

/** Exit codes: 1 = the server answered with an error, 2 = the server could not be reached or found. */
export const EXIT_ERROR_ANSWER = 1;
export const EXIT_UNREACHABLE = 2;

export class Unreachable extends AppError {}

/** `system/status` or `/rest/system/status` → the URL under the target. */
export function restUrl(t: Target, p: string, query: [string, string][] = []): string {
  const rel = p.replace(/^\/+/, '');
  const full = rel.startsWith('rest/') || rel === 'rest' || rel.startsWith('qr/') || rel === 'meta.js' ? `/${rel}` : `/rest/${rel}`;
  const q = new URLSearchParams(query).toString();
  return `${t.url}${full}${q ? `?${q}` : ''}`;
}

/** One request with the API key; a connection failure becomes Unreachable with the cause spelled out. */
export async function request(t: Target, method: string, p: string, opts: { query?: [string, string][]; body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Answer> {
  const url = restUrl(t, p, opts.query);
  let res: Response;
  try {
    res = await fetch(url, { method, body: opts.body, headers: { 'X-API-Key': t.apiKey, ...opts.headers }, redirect: 'manual', signal: opts.signal });
  } catch (err) {
    const cause = (err as { cause?: { code?: string; message?: string } }).cause;
    throw new Unreachable('internal', `cannot reach ${t.url}: ${cause?.code ?? cause?.message ?? (err as Error).message} (is the service running? see --url)`);
  }
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** The answer as the user sees it: JSON pretty-printed, anything else as it came. */
export function render(text: string): string {
  if (text === '') return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2) + '\n';
  } catch {
    return text.endsWith('\n') ? text : text + '\n';
  }
}
