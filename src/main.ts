#!/usr/bin/env node
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { App } from './app.js';
import { generateHome } from './generate-home.js';
import { runCli } from './cli/program.js';
import { parseTlsVersion } from './auth/https-credentials.js';
import { normalizeBaseUrl } from './config/base-url.js';
import { defaultHome } from './shared/paths.js';
import { messageOf } from './shared/errors.js';
import { SYNCHRO_VERSION, API_VERSION } from './services/version.js';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function fail(message: string): never {
  process.stderr.write(`synchro: ${message}\n`);
  process.exit(1);
}

/** The options of `synchro serve`, by their command-line names. */
type ServeOptions = Partial<Record<'home' | 'gui-address' | 'gui-apikey' | 'event-masks' | 'job-expire' | 'log-format' | 'gui-cert' | 'gui-key' | 'gui-client-ca' | 'gui-min-tls-version' | 'gui-baseurl' | 'gui-assets' | 'listen-address', string>> & {
  'no-default-folder'?: boolean;
};

async function serve(values: ServeOptions): Promise<void> {
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

async function generate(values: { home?: string; 'gui-user'?: string; 'gui-password'?: string; 'no-default-folder'?: boolean }): Promise<void> {
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

/**
 * Commander keeps option values under camel-cased keys; serve and generate read them by their
 * command-line names.
 */
function byFlagName<T>(cmd: Command): T {
  const out: Record<string, unknown> = {};
  for (const o of cmd.options) {
    const key = o.attributeName();
    const v = cmd.getOptionValue(key);
    if (v !== undefined) out[o.long!.replace(/^--(no-)?/, (m) => (m === '--no-' ? 'no-' : ''))] = o.negate ? !v : v;
  }
  return out as T;
}

/** The whole command line: one commander program, `--help` on every subcommand. */
function program(): Command {
  const version = `synchro ${SYNCHRO_VERSION} (Syncthing REST API ${API_VERSION})`;
  const root = new Command('synchro')
    .description(`Synchro ${SYNCHRO_VERSION} — a folder service that speaks Syncthing's REST API (${API_VERSION}) and syncs with Syncthing devices`)
    .version(version, '--version', 'print the version')
    .enablePositionalOptions()
    .showHelpAfterError('(synchro --help lists the commands; synchro <command> --help their options)')
    .addHelpText(
      'after',
      `\nExamples:\n  synchro serve --home ~/synchro\n  synchro generate --home ~/synchro --gui-user me --gui-password secret\n  synchro cli GET system/status\n\nDefault home: $XDG_STATE_HOME/synchro, or ~/.local/state/synchro.`,
    )
    // Inherited by every subcommand added below: errors name the option, nothing calls process.exit behind our back.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`synchro: ${text.replace(/^error: /, '')}`) });

  root
    .command('serve')
    .description('run the service: the GUI and REST API, the folders, and device connections')
    .option('--home <dir>', 'home directory (config.xml, keys, index)')
    .option('--gui-address <host:port>', 'GUI/API listen address, over gui.address (env STGUIADDRESS); unix:///path for a socket')
    .option('--gui-apikey <key>', 'one more API key accepted (env STGUIAPIKEY)')
    .option('--no-default-folder', 'on first start, make no "Default Folder"')
    .option('--no-browser', 'accepted for Syncthing compatibility (Synchro never opens a browser)')
    .option('--event-masks <n>', 'custom events= subscriptions kept (env SYNCHRO_EVENT_MASKS, default 64)')
    .option('--job-expire <seconds>', 'how long a finished _async job stays readable at /rest/jobs/status (default 60)')
    .option('--log-format <format>', 'stderr lines as "text" (TIME LEVEL facility: message) or "json" objects (env SYNCHRO_LOG_FORMAT)')
    .option('--listen-address <urls>', 'comma-separated tcp:// addresses for device connections, over options listenAddresses (env SYNCHRO_LISTEN_ADDRESS)')
    .option('--gui-assets <dir>', 'serve the GUI from this directory (env STGUIASSETS); a Syncthing gui/ tree with theme directories works')
    .option('--gui-baseurl <prefix>', 'serve everything under /PREFIX/, for a reverse proxy (env SYNCHRO_GUI_BASEURL)')
    .option('--gui-cert <file>', 'HTTPS certificate, instead of the home\'s https-cert.pem (env SYNCHRO_GUI_CERT)')
    .option('--gui-key <file>', 'its key (env SYNCHRO_GUI_KEY)')
    .option('--gui-client-ca <file>', 'require client certificates signed by these CAs (env SYNCHRO_GUI_CLIENT_CA)')
    .option('--gui-min-tls-version <version>', '1.2 (default) or 1.3 (env SYNCHRO_GUI_MIN_TLS_VERSION)')
    .addHelpText(
      'after',
      `\nThe GUI port answers HTTP and HTTPS; with gui tls="true" (or an https:// address) plain HTTP is redirected.\nThe certificate is made on first start (self-signed) unless --gui-cert/--gui-key name one.`,
    )
    .action((_opts: unknown, cmd: Command) => serve(byFlagName<ServeOptions>(cmd)));

  root
    .command('generate')
    .description('make a home (keys and config.xml) without starting, as syncthing generate does')
    .option('--home <dir>', 'home directory to create or complete')
    .option('--gui-user <user>', 'GUI user name')
    .option('--gui-password <password>', 'GUI password (stored as a bcrypt hash)')
    .option('--no-default-folder', 'make no "Default Folder"')
    .action((_opts: unknown, cmd: Command) => generate(byFlagName(cmd)));

  root
    .command('cli')
    .description('call the REST API of a running Synchro or Syncthing (synchro cli --help)')
    .helpOption(false)
    .allowUnknownOption()
    .allowExcessArguments()
    .passThroughOptions()
    .argument('[args...]')
    .action(async (args: string[]) => {
      process.exitCode = await runCli(args, { stdout: process.stdout, stderr: process.stderr, env: process.env, defaultHome: defaultHome() });
    });

  root
    .command('version')
    .description('print the version')
    .action(() => void process.stdout.write(`${version}\n`));

  root.on('command:*', (operands: string[]) => {
    process.stderr.write(root.helpInformation());
    fail(`unknown command ${JSON.stringify(operands[0])}`);
  });
  return root;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  // No command: the help, as before.
  if (argv.length === 0) return void process.stdout.write(program().helpInformation());
  try {
    await program().parseAsync(argv, { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) process.exit(err.exitCode);
    throw err;
  }
}

main().catch((err) => fail(messageOf(err)));
