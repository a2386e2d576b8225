#!/usr/bin/env node
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { App } from './app.js';
import { generateHome } from './generate-home.js';
import { runCli } from './cli/program.js';
import { parseTlsVersion } from './auth/https-credentials.js';
import { normalizeBaseUrl } from './config/base-url.js';
import { defaultHome } from './shared/paths.js';
import { messageOf } from './shared/errors.js';
import { SYNCHRO_VERSION, API_VERSION } from './services/version.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const USAGE = `Synchro ${SYNCHRO_VERSION} — a folder service that speaks Syncthing's REST API (${API_VERSION})

Usage:
  synchro serve    [--home DIR] [--gui-address HOST:PORT] [--gui-apikey KEY] [--no-default-folder]
                   [--event-masks N] [--job-expire SECONDS] [--log-format text|json] [--listen-address URL,...]
                   [--gui-assets DIR] [--gui-baseurl /PREFIX/] [--gui-cert FILE --gui-key FILE] [--gui-client-ca FILE] [--gui-min-tls-version 1.2|1.3]
  synchro generate [--home DIR] [--gui-user USER --gui-password PASSWORD] [--no-default-folder]
  synchro cli      [--home DIR | --url URL --api-key KEY] METHOD PATH [key=value ...] [--json BODY] [--wait]
  synchro cli      events [--types A,B] [--since N]  |  set PATH key=value ...   (see synchro cli --help)
  synchro --version | --help

Default home: $XDG_STATE_HOME/synchro, or ~/.local/state/synchro.
Environment: STGUIADDRESS and STGUIAPIKEY act like --gui-address and --gui-apikey;
SYNCHRO_EVENT_MASKS like --event-masks (custom events= subscriptions kept, default 64).
--log-format (or SYNCHRO_LOG_FORMAT): stderr lines as "TIME LEVEL facility: message" or as JSON
objects {time, level, facility, message}, one per line.
--gui-assets (or STGUIASSETS): serve the GUI from DIR instead of the bundled gui/ (meta.js, the CSRF
cookie and /rest work the same).
--gui-baseurl (or SYNCHRO_GUI_BASEURL, or gui baseUrl in config.xml): serve the GUI, /rest, /meta.js,
/qr/ and /metrics under a path prefix, for a reverse proxy that passes the prefix on.
TLS: the GUI port answers HTTP and HTTPS; with gui tls="true" (or an https:// address) plain HTTP is
redirected. The certificate is https-cert.pem/https-key.pem in the home (self-signed, made on first
start) unless --gui-cert/--gui-key name one; --gui-client-ca requires client certificates signed by
those CAs; --gui-min-tls-version defaults to 1.2. Env: SYNCHRO_GUI_CERT, SYNCHRO_GUI_KEY,
SYNCHRO_GUI_CLIENT_CA, SYNCHRO_GUI_MIN_TLS_VERSION.
--job-expire: how long a finished _async job stays readable at /rest/jobs/status (default 60).
--listen-address (or SYNCHRO_LISTEN_ADDRESS): device connections listen on these tcp:// addresses
(comma-separated) instead of options listenAddresses, as --gui-address does for the GUI.
`;

function fail(message: string): never {
  process.stderr.write(`synchro: ${message}\n`);
  process.exit(1);
}

async function serve(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      home: { type: 'string' },
      'gui-address': { type: 'string' },
      'gui-apikey': { type: 'string' },
      'no-default-folder': { type: 'boolean' },
      'no-browser': { type: 'boolean' },
      'event-masks': { type: 'string' },
      'job-expire': { type: 'string' },
      'log-format': { type: 'string' },
      'gui-cert': { type: 'string' },
      'gui-key': { type: 'string' },
      'gui-client-ca': { type: 'string' },
      'gui-min-tls-version': { type: 'string' },
      'gui-baseurl': { type: 'string' },
      'gui-assets': { type: 'string' },
      'listen-address': { type: 'string' },
    },
  });
  const env = (name: string) => process.env[name] || undefined;
  const minTls = values['gui-min-tls-version'] ?? env('SYNCHRO_GUI_MIN_TLS_VERSION');
  let minVersion: 'TLSv1.2' | 'TLSv1.3' | undefined;
  try {
    minVersion = minTls === undefined ? undefined : parseTlsVersion(minTls);
  } catch (err) {
    fail(`--gui-min-tls-version: ${messageOf(err)}`);
  }
  const baseUrl = values['gui-baseurl'] ?? env('SYNCHRO_GUI_BASEURL');
  if (baseUrl !== undefined) {
    try {
      normalizeBaseUrl(baseUrl);
    } catch (err) {
      fail(`--gui-baseurl: ${messageOf(err)}`);
    }
  }
  const tls = {
    certFile: values['gui-cert'] ?? env('SYNCHRO_GUI_CERT'),
    keyFile: values['gui-key'] ?? env('SYNCHRO_GUI_KEY'),
    clientCaFile: values['gui-client-ca'] ?? env('SYNCHRO_GUI_CLIENT_CA'),
    minVersion,
  };
  const logFormat = values['log-format'] ?? (process.env.SYNCHRO_LOG_FORMAT || 'text');
  if (logFormat !== 'text' && logFormat !== 'json') fail(`--log-format ${JSON.stringify(logFormat)}: want text or json`);
  const expire = values['job-expire'];
  if (expire !== undefined && !/^\d{1,7}$/.test(expire)) fail(`--job-expire ${JSON.stringify(expire)}: want a whole number of seconds`);
  const home = values.home ?? defaultHome();
  const masks = values['event-masks'] ?? (process.env.SYNCHRO_EVENT_MASKS || undefined);
  if (masks !== undefined && !/^[1-9]\d{0,5}$/.test(masks)) fail(`--event-masks ${JSON.stringify(masks)}: want a whole number from 1 to 999999`);
  const listen = values['listen-address'] ?? env('SYNCHRO_LISTEN_ADDRESS');
  const app = await App.start({
    home,
    projectRoot,
    syncListen: listen === undefined ? undefined : listen.split(',').map((a) => a.trim()).filter(Boolean),
    guiAddress: values['gui-address'] ?? (process.env.STGUIADDRESS || undefined),
    apiKey: values['gui-apikey'] ?? (process.env.STGUIAPIKEY || undefined),
    noDefaultFolder: values['no-default-folder'],
    maxEventMasks: masks === undefined ? undefined : Number(masks),
    jobExpireMs: expire === undefined ? undefined : Number(expire) * 1000,
    logFormat,
    tls,
    baseUrl,
    guiAssets: values['gui-assets'] ?? env('STGUIASSETS'),
    onShutdown: () => process.exit(0),
  });
  const scheme = app.tlsRequired ? 'https' : 'http';
  const where = app.address.startsWith('/') ? `unix socket ${app.address}` : `${scheme}://${app.address}${app.baseUrl}`;
  process.stdout.write(
    `Synchro ${SYNCHRO_VERSION} started.\nDevice ID: ${app.myId}\nHome:      ${path.resolve(home)}\nGUI & API: ${where}\nAPI key:   ${app.apiKey}\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stderr.write(`synchro: ${signal}, stopping\n`);
    app.stop().then(
      () => process.exit(0),
      (err) => fail(messageOf(err)),
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

async function generate(argv: string[]): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      home: { type: 'string' },
      'gui-user': { type: 'string' },
      'gui-password': { type: 'string' },
      'no-default-folder': { type: 'boolean' },
    },
  });
  const home = values.home ?? defaultHome();
  const result = await generateHome({
    home,
    user: values['gui-user'],
    password: values['gui-password'],
    noDefaultFolder: values['no-default-folder'] ?? false,
    userHome: os.homedir(),
  });
  process.stdout.write(`Device ID: ${result.myId}\nConfig:    ${result.configFile}\n`);
}

async function main(): Promise<void> {
  const [command, ...rest] = process.argv.slice(2);
  switch (command) {
    case 'serve':
      return serve(rest);
    case 'generate':
      return generate(rest);
    case 'cli':
      process.exitCode = await runCli(rest, { stdout: process.stdout, stderr: process.stderr, env: process.env, defaultHome: defaultHome() });
      return;
    case '--version':
    case 'version':
      process.stdout.write(`synchro ${SYNCHRO_VERSION} (Syncthing REST API ${API_VERSION})\n`);
      return;
    case undefined:
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE);
      return;
    default:
      process.stderr.write(USAGE);
      fail(`unknown command ${JSON.stringify(command)}`);
  }
}

main().catch((err) => fail(messageOf(err)));
