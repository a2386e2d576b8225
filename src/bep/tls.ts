import { constants } from 'node:crypto';
import type tls from 'node:tls';
import { ProtocolError } from './pb.js';

/**
 * TLS for device connections, as 1.19.2 sets it up (bep.md §1.1): TLS 1.3 only, ALPN bep/1.0
 * offered, the device certificate on both sides, the peer's certificate requested but not
 * chained anywhere (the device ID is the trust), no session tickets.
 */

export interface DeviceKeys {
  certPem: string;
  keyPem: string;
}

export const ALPN = 'bep/1.0';
/** 1.19.2's tlsHandshakeTimeout. */
export const HANDSHAKE_TIMEOUT_MS = 10_000;

export function serverOptions(keys: DeviceKeys): tls.TlsOptions {
  return {
    cert: keys.certPem,
    key: keys.keyPem,
    requestCert: true,
    rejectUnauthorized: false,
    ALPNProtocols: [ALPN],
    minVersion: 'TLSv1.3',
    secureOptions: constants.SSL_OP_NO_TICKET,
    handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
  };
}

export function clientOptions(keys: DeviceKeys): tls.ConnectionOptions {
  return {
    cert: keys.certPem,
    key: keys.keyPem,
    rejectUnauthorized: false,
    ALPNProtocols: [ALPN],
    minVersion: 'TLSv1.3',
    secureOptions: constants.SSL_OP_NO_TICKET,
  };
}

/**
 * The peer's one certificate (DER). Exactly one must have been presented: none, or a chain, is
 * refused as 1.19.2 refuses it ("peer certificate list of length N != 1").
 */
export function peerCertificate(socket: tls.TLSSocket): Uint8Array {
  const cert = socket.getPeerCertificate(true);
  if (!cert || !cert.raw) throw new ProtocolError('the remote device presented no certificate');
  let n = 1;
  for (let c = cert; c.issuerCertificate && c.issuerCertificate !== c && c.issuerCertificate.fingerprint256 !== c.fingerprint256; c = c.issuerCertificate) n++;
  if (n !== 1) throw new ProtocolError(`peer certificate list of length ${n} != 1`);
  return new Uint8Array(cert.raw);
}

/** What /rest/system/connections shows as `crypto`: "TLS1.3-TLS_AES_128_GCM_SHA256". */
export function cryptoName(socket: tls.TLSSocket): string {
  const v = socket.getProtocol() ?? '';
  return `${v.replace('TLSv', 'TLS')}-${socket.getCipher().standardName}`;
}
