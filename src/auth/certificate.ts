import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { webcrypto } from 'node:crypto';
import fs from 'node:fs/promises';
import { deviceIdFromCertificate, formatDeviceId } from '../shared/device-id.js';
import { writeFileAtomic } from '../shared/atomic-write.js';

/**
 * The device identity: an ECDSA P-384 key and a self-signed certificate, as `syncthing generate`
 * makes them (CN=syncthing). The device ID is derived from the certificate's DER bytes.
 * The only importer of @peculiar/x509.
 */

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

const ALG = { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' } as const;

export interface Identity {
  deviceId: string;
  certPem: string;
  /** The private key (PKCS#8 PEM), for the TLS of device connections. */
  keyPem: string;
}

async function createCertificate(certFile: string, keyFile: string): Promise<void> {
  const keys = await webcrypto.subtle.generateKey(ALG, true, ['sign', 'verify']);
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: 'CN=syncthing, O=Syncthing, OU=Automatically Generated',
    notBefore: new Date(now.getTime() - 24 * 3600 * 1000),
    notAfter: new Date(now.getTime() + 20 * 365 * 24 * 3600 * 1000),
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: ALG,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth, x509.ExtendedKeyUsage.clientAuth]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'syncthing' }]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  const keyPem = x509.PemConverter.encode(pkcs8, 'PRIVATE KEY');
  // Key first: a certificate without its key would be an identity we can never use.
  await fs.writeFile(keyFile, keyPem + '\n', { mode: 0o600 });
  await fs.writeFile(certFile, cert.toString('pem') + '\n', { mode: 0o644 });
}

/**
 * The self-signed certificate of the GUI/REST listener (https-cert.pem, https-key.pem): ECDSA
 * P-256, CN and DNS name the host name, valid for `days` (Syncthing: 820) from a day ago.
 */
export async function createHttpsCertificate(certFile: string, keyFile: string, commonName: string, days = 820): Promise<void> {
  const alg = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = Date.now();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex').replace(/^[89a-f]/, '1'),
    name: `CN=${commonName}, O=Synchro, OU=Automatically Generated`,
    notBefore: new Date(now - 24 * 3600 * 1000),
    notAfter: new Date(now + days * 24 * 3600 * 1000),
    keys: keys as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[0]['keys'],
    signingAlgorithm: alg,
    extensions: [
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: commonName }]),
    ],
  });
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', keys.privateKey);
  await writeFileAtomic(keyFile, x509.PemConverter.encode(pkcs8, 'PRIVATE KEY') + '\n', 0o600);
  await writeFileAtomic(certFile, cert.toString('pem') + '\n', 0o644);
}

/** Loads cert.pem (creating key.pem and cert.pem when neither exists) and derives the device ID. */
export async function loadOrCreateIdentity(certFile: string, keyFile: string): Promise<Identity> {
  const exists = await fs.stat(certFile).then(
    () => true,
    () => false,
  );
  if (!exists) await createCertificate(certFile, keyFile);
  const certPem = await fs.readFile(certFile, 'utf8');
  let cert: x509.X509Certificate;
  try {
    cert = new x509.X509Certificate(certPem);
  } catch (err) {
    throw new Error(`${certFile}: not a PEM certificate (${(err as Error).message})`);
  }
  const keyPem = await fs.readFile(keyFile, 'utf8');
  return { deviceId: formatDeviceId(deviceIdFromCertificate(new Uint8Array(cert.rawData))), certPem, keyPem };
}
