import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import https from 'node:https';
import { webcrypto } from 'node:crypto';

type CryptoKey = webcrypto.CryptoKey;
type CryptoKeyPair = webcrypto.CryptoKeyPair;

/** Certificates made on the spot for TLS tests (a CA, leaves it signed), and an https client that pins them. */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);
const ALG = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

export interface Pem {
  cert: string;
  key: string;
}

type Keys = Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
const serial = () => Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1');
const keyPem = async (k: CryptoKey) => x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', k), 'PRIVATE KEY');

export async function makeCa(name = 'Test CA'): Promise<Pem & { keys: CryptoKeyPair; x: x509.X509Certificate }> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const x = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serial(),
    name: `CN=${name}`,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + 30 * 86400_000),
    keys: keys as unknown as Keys,
    signingAlgorithm: ALG,
    extensions: [new x509.BasicConstraintsExtension(true, undefined, true), new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.digitalSignature, true)],
  });
  return { cert: x.toString('pem'), key: await keyPem(keys.privateKey), keys, x };
}

/** A leaf certificate signed by `ca`, for a client or a server, valid `days` days. */
export async function makeLeaf(ca: Awaited<ReturnType<typeof makeCa>>, cn: string, use: 'client' | 'server', days = 30): Promise<Pem> {
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify'])) as CryptoKeyPair;
  const x = await x509.X509CertificateGenerator.create({
    serialNumber: serial(),
    subject: `CN=${cn}`,
    issuer: ca.x.subject,
    notBefore: new Date(Date.now() - 3600_000),
    notAfter: new Date(Date.now() + days * 86400_000),
    signingKey: ca.keys.privateKey,
    publicKey: keys.publicKey,
    signingAlgorithm: ALG,
    extensions: [
      new x509.ExtendedKeyUsageExtension([use === 'client' ? x509.ExtendedKeyUsage.clientAuth : x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: cn }]),
    ],
  });
  return { cert: x.toString('pem'), key: await keyPem(keys.privateKey) };
}

export interface TlsAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  protocol: string;
  peerCert: { subject: Record<string, string>; valid_to: string };
}

/** One https request with its own connection; the server certificate must chain to `ca` (host names are not checked). */
export function tlsGet(
  port: number,
  path: string,
  opts: { ca: string; cert?: string; key?: string; minVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; maxVersion?: 'TLSv1' | 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3'; headers?: Record<string, string>; method?: string },
): Promise<TlsAnswer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: opts.method ?? 'GET',
        agent: false,
        ca: opts.ca,
        cert: opts.cert,
        key: opts.key,
        minVersion: opts.minVersion,
        maxVersion: opts.maxVersion,
        headers: opts.headers,
        checkServerIdentity: () => undefined,
        timeout: 10_000,
      },
      (res) => {
        const socket = res.socket as import('node:tls').TLSSocket;
        const protocol = socket.getProtocol?.() ?? '';
        const peerCert = socket.getPeerCertificate?.() as never;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString(), protocol, peerCert }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}
