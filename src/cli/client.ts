import { X509Certificate } from 'node:crypto';
import https from 'node:https';
import tls from 'node:tls';
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

type Init = { method: string; body?: string; headers: Record<string, string>; signal?: AbortSignal };

/** One request with the API key; a connection failure becomes Unreachable with the cause spelled out. */
export async function request(t: Target, method: string, p: string, opts: { query?: [string, string][]; body?: string; headers?: Record<string, string>; signal?: AbortSignal } = {}): Promise<Answer> {
  const url = restUrl(t, p, opts.query);
  const init: Init = { method, body: opts.body, headers: { 'X-API-Key': t.apiKey, ...opts.headers }, signal: opts.signal };
  try {
    if (/^https:/i.test(url)) return await httpsRequest(url, init, t.trustedCert);
    const res = await fetch(url, { ...init, redirect: 'manual' });
    return { status: res.status, headers: res.headers, text: await res.text() };
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { cause?: { code?: string; message?: string } };
    const code = e.cause?.code ?? e.code;
    if (code && /CERT|SELF_SIGNED|TLS|SSL/.test(code)) {
      throw new Unreachable('internal', `${t.url} presented a certificate that is not trusted (${code}): the system's CAs and the home's https-cert.pem are; give --home for that service, or an http:// --url`);
    }
    throw new Unreachable('internal', `cannot reach ${t.url}: ${code ?? e.cause?.message ?? e.message} (is the service running? see --url)`);
  }
}

/**
 * https through node:https rather than fetch, which cannot be told to trust one more certificate.
 * The home's certificate is trusted by its fingerprint, whatever name it carries; any other
 * certificate must chain to a system CA and name the host, as usual.
 */
function httpsRequest(url: string, init: Init, trustedCert: string | undefined): Promise<Answer> {
  const pinned = trustedCert ? new X509Certificate(trustedCert).fingerprint256 : undefined;
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: init.method,
        headers: init.headers,
        signal: init.signal,
        ...(trustedCert ? { ca: [...tls.rootCertificates, trustedCert] } : {}),
        checkServerIdentity: (host, cert) => (pinned !== undefined && cert.fingerprint256 === pinned ? undefined : tls.checkServerIdentity(host, cert)),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const headers = new Headers();
          for (const [k, v] of Object.entries(res.headers)) for (const one of [v ?? []].flat()) headers.append(k, one);
          resolve({ status: res.statusCode ?? 0, headers, text: Buffer.concat(chunks).toString('utf8') });
        });
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
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
