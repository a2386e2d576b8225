import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import fs from 'node:fs/promises';
import { AppError, messageOf } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { createHttpsCertificate } from './certificate.js';

/**
 * What the GUI/REST listener needs for TLS: its certificate and key, and optionally the CAs whose
 * client certificates it requires. The pair is the user's (--gui-cert/--gui-key) when named, or
 * the self-signed https-cert.pem/https-key.pem in the home, made on first use and remade when
 * it has expired or expires within 30 days (spec rest-api §1.1).
 */

export interface TlsSettings {
  /** A certificate and key the user names; both or neither. */
  certFile?: string;
  keyFile?: string;
  /** PEM file of CAs; when set, every client must present a certificate one of them signed. */
  clientCaFile?: string;
  /** "TLSv1.2" (default) or "TLSv1.3". */
  minVersion?: 'TLSv1.2' | 'TLSv1.3';
}

export interface HttpsCredentials {
  cert: string;
  key: string;
  ca?: string;
  minVersion: 'TLSv1.2' | 'TLSv1.3';
  /** When the certificate stops being valid (ms since the epoch). */
  notAfterMs: number;
}

const RENEW_BEFORE_MS = 30 * 24 * 3600 * 1000;

/** "1.2", "tls1.2", "TLSv1.2" (any case) → "TLSv1.2"; the same for 1.3; anything else is refused. */
export function parseTlsVersion(text: string): 'TLSv1.2' | 'TLSv1.3' {
  const m = /^(?:tls\s*v?)?1\.([23])$/i.exec(text.trim());
  if (!m) throw new AppError('invalid', `minimum TLS version ${JSON.stringify(text)}: want 1.2 or 1.3`);
  return m[1] === '2' ? 'TLSv1.2' : 'TLSv1.3';
}

/** The host name made fit for a certificate's CN, as Syncthing does; "syncthing" when nothing is left. */
export function certificateName(hostname: string): string {
  const name = hostname
    .toLowerCase()
    .replace(/[^a-z0-9.-]/g, '')
    .replace(/^[.-]+|[.-]+$/g, '');
  return name === '' ? 'syncthing' : name;
}

interface Pair {
  cert: string;
  key: string;
  x509: X509Certificate;
}

/** Reads and checks a pair; the message says which file is wrong and how. */
async function readPair(certFile: string, keyFile: string): Promise<Pair> {
  const cert = await fs.readFile(certFile, 'utf8').catch((err) => {
    throw new AppError('invalid', `TLS certificate ${certFile}: ${messageOf(err)}`);
  });
  const key = await fs.readFile(keyFile, 'utf8').catch((err) => {
    throw new AppError('invalid', `TLS key ${keyFile}: ${messageOf(err)}`);
  });
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new AppError('invalid', `TLS certificate ${certFile} does not parse as a PEM certificate (${messageOf(err)})`);
  }
  let keyObject: KeyObject;
  try {
    keyObject = createPrivateKey(key);
  } catch (err) {
    throw new AppError('invalid', `TLS key ${keyFile} does not parse as a PEM private key (${messageOf(err)})`);
  }
  if (!x509.checkPrivateKey(keyObject)) throw new AppError('invalid', `TLS key ${keyFile} does not match the certificate ${certFile}`);
  return { cert, key, x509 };
}

const selfIssued = (c: X509Certificate) => c.issuer === c.subject;

/**
 * The home's own pair: made when missing; remade when it does not load (the old files are kept
 * beside it as *.broken-<time>, so nothing the user put there is lost) or when a self-signed one
 * is close to expiry. A certificate someone else issued is never replaced, only warned about.
 */
async function homePair(certFile: string, keyFile: string, hostname: string, log: Logger, nowMs: number): Promise<Pair> {
  const exists = async (f: string) => fs.access(f).then(() => true, () => false);
  if (!(await exists(certFile)) && !(await exists(keyFile))) {
    log.info(`Creating a self-signed HTTPS certificate in ${certFile}`);
    await createHttpsCertificate(certFile, keyFile, certificateName(hostname));
    return readPair(certFile, keyFile);
  }
  let pair: Pair | undefined;
  try {
    pair = await readPair(certFile, keyFile);
  } catch (err) {
    const suffix = `.broken-${nowMs}`;
    log.warn(`${messageOf(err)}; keeping it as *${suffix} and creating a new self-signed certificate`);
    for (const f of [certFile, keyFile]) await fs.rename(f, f + suffix).catch(() => undefined);
  }
  if (pair) {
    const notAfter = Date.parse(pair.x509.validTo);
    if (notAfter - nowMs > RENEW_BEFORE_MS) return pair;
    if (!selfIssued(pair.x509)) {
      log.warn(`HTTPS certificate ${certFile} expires ${pair.x509.validTo}; it was not made here, so it is not replaced`);
      return pair;
    }
    log.info(`HTTPS certificate ${certFile} expires ${pair.x509.validTo}; creating a new one`);
  }
  await createHttpsCertificate(certFile, keyFile, certificateName(hostname));
  return readPair(certFile, keyFile);
}

export async function loadHttpsCredentials(
  settings: TlsSettings,
  home: { certFile: string; keyFile: string; hostname: string },
  log: Logger,
  nowMs = Date.now(),
): Promise<HttpsCredentials> {
  if ((settings.certFile === undefined) !== (settings.keyFile === undefined)) {
    throw new AppError('invalid', 'a TLS certificate and key go together: give both --gui-cert and --gui-key, or neither');
  }
  const pair = settings.certFile ? await readPair(settings.certFile, settings.keyFile!) : await homePair(home.certFile, home.keyFile, home.hostname, log, nowMs);
  if (settings.certFile && Date.parse(pair.x509.validTo) < nowMs) log.warn(`TLS certificate ${settings.certFile} expired ${pair.x509.validTo}; clients will refuse it`);
  let ca: string | undefined;
  if (settings.clientCaFile) {
    ca = await fs.readFile(settings.clientCaFile, 'utf8').catch((err) => {
      throw new AppError('invalid', `TLS client CA ${settings.clientCaFile}: ${messageOf(err)}`);
    });
    const blocks = ca.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    if (blocks.length === 0) throw new AppError('invalid', `TLS client CA ${settings.clientCaFile} holds no PEM certificate`);
    for (const b of blocks) {
      try {
        new X509Certificate(b);
      } catch (err) {
        throw new AppError('invalid', `TLS client CA ${settings.clientCaFile} does not parse (${messageOf(err)})`);
      }
    }
  }
  return { cert: pair.cert, key: pair.key, ca, minVersion: settings.minVersion ?? 'TLSv1.2', notAfterMs: Date.parse(pair.x509.validTo) };
}
