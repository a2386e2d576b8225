import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { App } from '../../src/app.js';
import { createHttpsCertificate } from '../../src/auth/certificate.js';
import { certificateName, parseTlsVersion } from '../../src/auth/https-credentials.js';
import { projectRoot, startServer, type TestServer } from '../support/test-server.js';
import { tempDir } from '../support/temp-dir.js';
import { runBin } from '../support/run-bin.js';
import { makeCa, makeLeaf, tlsGet } from '../support/tls.js';

/**
 * HTTPS on the GUI port: one port for both protocols, the self-signed certificate and its renewal,
 * a user's certificate, the 307 redirect, the minimum version, client certificates, secure cookies,
 * and every bad certificate input refused at start with no fallback to plain HTTP.
 */

type T = { after: (fn: () => Promise<void>) => void };
const portOf = (s: TestServer) => Number(s.app.address.split(':').pop());

async function serve(t: T, opts: Parameters<typeof startServer>[0] = {}): Promise<TestServer & { ca: string }> {
  const s = await startServer(opts);
  t.after(() => s.stop());
  const ca = opts.tls?.certFile ? await fs.readFile(opts.tls.certFile, 'utf8') : await fs.readFile(path.join(s.home, 'https-cert.pem'), 'utf8');
  return Object.assign(s, { ca });
}

async function homeWith(t: T, files: Record<string, string>): Promise<string> {
  const { dir, cleanup } = await tempDir();
  t.after(cleanup);
  const home = path.join(dir, 'home');
  await fs.mkdir(home);
  for (const [name, text] of Object.entries(files)) await fs.writeFile(path.join(home, name), text);
  return home;
}

test('one port answers HTTP and HTTPS; the self-signed certificate is made on first start with the host name', async (t) => {
  const s = await serve(t);
  const x = new X509Certificate(s.ca);
  assert.equal(x.subject.split('\n').find((l) => l.startsWith('CN='))?.slice(3), certificateName(os.hostname()));
  const days = (Date.parse(x.validTo) - Date.now()) / 86400_000;
  assert.ok(days > 815 && days <= 820, `valid for ${days} days`);
  assert.equal((await fs.stat(path.join(s.home, 'https-key.pem'))).mode & 0o777, 0o600);

  const viaTls = await tlsGet(portOf(s), '/rest/system/ping', { ca: s.ca, headers: { 'X-API-Key': s.apiKey } });
  assert.equal(viaTls.status, 200);
  assert.equal(JSON.parse(viaTls.body).ping, 'pong');
  assert.equal(viaTls.protocol, 'TLSv1.3');
  assert.equal((await s.req('/rest/system/ping')).status, 200, 'plain HTTP still answers while gui.tls is off');
  // Keep-alive over TLS: several requests on one connection, bodies both ways.
  const post = await tlsGet(portOf(s), '/rest/system/error', { ca: s.ca, method: 'POST', headers: { 'X-API-Key': s.apiKey, 'Content-Length': '0' } });
  assert.equal(post.status, 200);

  // The certificate is kept across restarts.
  await s.app.restart();
  assert.equal(await fs.readFile(path.join(s.home, 'https-cert.pem'), 'utf8'), s.ca);
});

test('gui.tls on: plain HTTP gets 307 to the same URL over https, before auth; preflights are still answered; TLS requests pass', async (t) => {
  const s = await serve(t);
  assert.equal((await s.req('/rest/config/gui', { method: 'PATCH', body: '{"useTLS": true}' })).status, 200);
  const res = await fetch(`${s.base}/rest/db/status?folder=x&a=%20b`, { redirect: 'manual' });
  assert.equal(res.status, 307);
  assert.equal(res.headers.get('location'), `https://${s.app.address}/rest/db/status?folder=x&a=%20b`);
  assert.equal(res.headers.get('x-syncthing-version'), null, 'answered before the inner layers');
  const gui = await fetch(`${s.base}/`, { redirect: 'manual' });
  assert.equal(gui.status, 307);
  assert.equal((await fetch(`${s.base}/rest/system/ping`, { method: 'OPTIONS' })).status, 204);
  const ok = await tlsGet(portOf(s), '/rest/system/ping', { ca: s.ca, headers: { 'X-API-Key': s.apiKey } });
  assert.equal(ok.status, 200);
});

test('an https:// address (override or config) requires TLS as gui.tls does', async (t) => {
  const port = await freePort();
  const s = await serve(t, { guiAddress: `https://127.0.0.1:${port}` });
  const res = await fetch(`http://127.0.0.1:${port}/rest/system/ping`, { redirect: 'manual' });
  assert.equal(res.status, 307);
  assert.equal(res.headers.get('location'), `https://127.0.0.1:${port}/rest/system/ping`);
  assert.equal((await tlsGet(port, '/rest/system/ping', { ca: s.ca, headers: { 'X-API-Key': s.apiKey } })).status, 200);
});

test('cookies are Secure over TLS, behind a proxy saying https, and with gui.tls; not on plain HTTP', async (t) => {
  const s = await serve(t);
  await s.req('/rest/config/gui', { method: 'PATCH', body: JSON.stringify({ user: 'u', password: 'pass-word' }) });
  const login = JSON.stringify({ username: 'u', password: 'pass-word' });
  const cookiesOf = (h: string | string[] | undefined) => (Array.isArray(h) ? h : h ? [h] : []);
  const plain = await fetch(`${s.base}/rest/noauth/auth/password`, { method: 'POST', body: login });
  assert.equal(plain.status, 204);
  assert.ok(plain.headers.getSetCookie().every((c) => !c.includes('Secure')), plain.headers.getSetCookie().join(' | '));
  const proxied = await fetch(`${s.base}/rest/noauth/auth/password`, { method: 'POST', body: login, headers: { 'X-Forwarded-Proto': 'https' } });
  assert.ok(proxied.headers.getSetCookie().some((c) => c.startsWith('sessionid-') && c.endsWith('; Secure')));
  const forwarded = await fetch(`${s.base}/`, { headers: { Forwarded: 'for=1.2.3.4;proto=https', Authorization: `Basic ${Buffer.from('u:pass-word').toString('base64')}` } });
  assert.ok(forwarded.headers.getSetCookie().some((c) => c.startsWith('CSRF-Token-') && c.endsWith('; Secure')), forwarded.headers.getSetCookie().join(' | '));
  const page = await tlsGet(portOf(s), '/', { ca: s.ca, headers: { Authorization: `Basic ${Buffer.from('u:pass-word').toString('base64')}` } });
  const set = cookiesOf(page.headers['set-cookie']);
  assert.ok(set.some((c) => c.startsWith('sessionid-') && c.includes('; Secure')), set.join(' | '));
  assert.ok(set.some((c) => c.startsWith('CSRF-Token-') && c.includes('; Secure')), set.join(' | '));
});

test('minimum TLS version: 1.2 by default (1.1 refused), 1.3 when set (1.2 refused)', async (t) => {
  const s = await serve(t);
  const key = { 'X-API-Key': s.apiKey };
  await assert.rejects(tlsGet(portOf(s), '/rest/system/ping', { ca: s.ca, headers: key, minVersion: 'TLSv1', maxVersion: 'TLSv1.1' }));
  const v12 = await tlsGet(portOf(s), '/rest/system/ping', { ca: s.ca, headers: key, maxVersion: 'TLSv1.2' });
  assert.equal(v12.protocol, 'TLSv1.2');
  const s13 = await serve(t, { tls: { minVersion: 'TLSv1.3' } });
  await assert.rejects(tlsGet(portOf(s13), '/rest/system/ping', { ca: s13.ca, headers: { 'X-API-Key': s13.apiKey }, maxVersion: 'TLSv1.2' }));
  assert.equal((await tlsGet(portOf(s13), '/rest/system/ping', { ca: s13.ca, headers: { 'X-API-Key': s13.apiKey } })).protocol, 'TLSv1.3');
  // The server is still fine after refused handshakes.
  assert.equal((await s.req('/rest/system/ping')).status, 200);

  assert.equal(parseTlsVersion('1.2'), 'TLSv1.2');
  assert.equal(parseTlsVersion('tls1.3'), 'TLSv1.3');
  assert.equal(parseTlsVersion('TLSv1.3'), 'TLSv1.3');
  for (const bad of ['1.1', '1.0', 'tls1.4', '', 'latest']) assert.throws(() => parseTlsVersion(bad), /want 1\.2 or 1\.3/, bad);
});

test('a certificate the user names is served; a client CA requires client certificates it signed', async (t) => {
  const ca = await makeCa('Server CA');
  const server = await makeLeaf(ca, 'synchro.example', 'server');
  const clients = await makeCa('Client CA');
  const good = await makeLeaf(clients, 'alice', 'client');
  const stranger = await makeLeaf(await makeCa('Other CA'), 'mallory', 'client');
  const home = await homeWith(t, { 'my.crt': server.cert, 'my.key': server.key, 'clients.pem': clients.cert });
  const s = await serve(t, { home, tls: { certFile: path.join(home, 'my.crt'), keyFile: path.join(home, 'my.key'), clientCaFile: path.join(home, 'clients.pem') } });
  const key = { 'X-API-Key': s.apiKey };

  const ok = await tlsGet(portOf(s), '/rest/system/ping', { ca: ca.cert, headers: key, cert: good.cert, key: good.key });
  assert.equal(ok.status, 200);
  assert.equal(ok.peerCert.subject.CN, 'synchro.example');
  await assert.rejects(tlsGet(portOf(s), '/rest/system/ping', { ca: ca.cert, headers: key }), 'no client certificate');
  await assert.rejects(tlsGet(portOf(s), '/rest/system/ping', { ca: ca.cert, headers: key, cert: stranger.cert, key: stranger.key }), 'a certificate from another CA');
  // Plain HTTP would skip the client check, so it is redirected even with gui.tls off.
  const plain = await fetch(`${s.base}/rest/system/ping`, { headers: key, redirect: 'manual' });
  assert.equal(plain.status, 307);
  assert.ok(!(await fs.readdir(home)).includes('https-cert.pem'), 'no self-signed certificate was made');
});

test('bad certificate input stops the start with a clear message, and nothing listens', async (t) => {
  const ca = await makeCa();
  const a = await makeLeaf(ca, 'a', 'server');
  const b = await makeLeaf(ca, 'b', 'server');
  const home = await homeWith(t, { 'a.crt': a.cert, 'a.key': a.key, 'b.key': b.key, 'junk.pem': 'not a certificate\n', 'empty.pem': '' });
  const f = (n: string) => path.join(home, n);
  const port = await freePort();
  const cases: [Parameters<typeof App.start>[0]['tls'], RegExp][] = [
    [{ certFile: f('junk.pem'), keyFile: f('a.key') }, /junk\.pem does not parse as a PEM certificate/],
    [{ certFile: f('a.crt'), keyFile: f('junk.pem') }, /junk\.pem does not parse as a PEM private key/],
    [{ certFile: f('a.crt'), keyFile: f('b.key') }, /b\.key does not match the certificate .*a\.crt/],
    [{ certFile: f('a.crt') }, /give both --gui-cert and --gui-key/],
    [{ certFile: f('missing.crt'), keyFile: f('a.key') }, /missing\.crt: .*ENOENT/],
    [{ clientCaFile: f('junk.pem') }, /client CA .*junk\.pem holds no PEM certificate/],
    [{ clientCaFile: f('empty.pem') }, /holds no PEM certificate/],
  ];
  for (const [tls, message] of cases) {
    await assert.rejects(App.start({ home: path.join(home, 'h'), projectRoot, guiAddress: `127.0.0.1:${port}`, noDefaultFolder: true, logSink: () => undefined, tls }), message);
    const refused = await fetch(`http://127.0.0.1:${port}/rest/system/ping`).then(
      () => false,
      () => true,
    );
    assert.ok(refused, `nothing listens after ${message}`);
  }
  assert.throws(() => parseTlsVersion('1.1'));
});

test('the real binary refuses a mismatched pair and a bad --gui-min-tls-version with exit 1', async (t) => {
  const ca = await makeCa();
  const a = await makeLeaf(ca, 'a', 'server');
  const b = await makeLeaf(ca, 'b', 'server');
  const home = await homeWith(t, { 'a.crt': a.cert, 'b.key': b.key });
  const base = ['serve', '--home', path.join(home, 'h'), '--gui-address', '127.0.0.1:0', '--no-default-folder'];
  const mismatch = await runBin([...base, '--gui-cert', path.join(home, 'a.crt'), '--gui-key', path.join(home, 'b.key')]);
  assert.equal(mismatch.code, 1);
  assert.match(mismatch.stderr, /b\.key does not match the certificate/);
  assert.doesNotMatch(mismatch.stdout, /started/);
  const version = await runBin([...base, '--gui-min-tls-version', '1.0']);
  assert.equal(version.code, 1);
  assert.match(version.stderr, /--gui-min-tls-version: minimum TLS version "1.0": want 1.2 or 1.3/);
});

test('the self-signed certificate is renewed within 30 days of expiry; a broken one is kept aside; one issued elsewhere is left', async (t) => {
  // Expiring in 10 days → replaced at start.
  const h1 = await homeWith(t, {});
  await createHttpsCertificate(path.join(h1, 'https-cert.pem'), path.join(h1, 'https-key.pem'), 'old', 10);
  const s1 = await serve(t, { home: h1 });
  const renewed = new X509Certificate(s1.ca);
  assert.ok(Date.parse(renewed.validTo) - Date.now() > 800 * 86400_000);
  assert.ok(s1.logs.some((l) => /expires .*creating a new one/.test(l)));

  // Broken → moved aside, a new pair made, the service starts.
  const h2 = await homeWith(t, { 'https-cert.pem': 'garbage', 'https-key.pem': 'more garbage' });
  const s2 = await serve(t, { home: h2 });
  const kept = (await fs.readdir(h2)).filter((n) => n.includes('.broken-')).sort();
  assert.equal(kept.length, 2);
  assert.equal(await fs.readFile(path.join(h2, kept[0]!), 'utf8'), 'garbage');
  assert.equal((await tlsGet(portOf(s2), '/rest/system/ping', { ca: s2.ca, headers: { 'X-API-Key': s2.apiKey } })).status, 200);

  // Issued by someone else and expiring → kept as it is, with a warning.
  const ca = await makeCa();
  const leaf = await makeLeaf(ca, 'theirs', 'server', 5);
  const h3 = await homeWith(t, { 'https-cert.pem': leaf.cert, 'https-key.pem': leaf.key });
  const s3 = await serve(t, { home: h3 });
  assert.equal(s3.ca, leaf.cert);
  assert.ok(s3.logs.some((l) => /not made here, so it is not replaced/.test(l)));
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(p));
    });
  });
}
