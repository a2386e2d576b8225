import fs from 'node:fs/promises';
import path from 'node:path';
import { parseConfigXml } from '../config/xml.js';
import { AppError } from '../shared/errors.js';

/** Where the CLI sends its requests, and with which key. */
export interface Target {
  url: string;
  apiKey: string;
  /**
   * The home's own GUI certificate (PEM), trusted for https besides the system's CAs: the service
   * makes it self-signed, for a host name that is not the 127.0.0.1 the CLI dials.
   */
  trustedCert?: string;
}

export interface TargetOptions {
  home: string;
  url?: string;
  apiKey?: string;
  env: NodeJS.ProcessEnv;
}

/** A GUI listen address as a URL a client on this machine can use (wildcards become loopback). */
export function clientUrl(address: string, tls: boolean): string {
  let a = address.trim();
  let scheme = tls ? 'https' : 'http';
  const m = /^(https?):\/\/(.*)$/.exec(a);
  if (m) {
    scheme = m[1]!;
    a = m[2]!.replace(/\/+$/, '');
  }
  if (a.startsWith('unix')) throw new AppError('invalid', `the GUI listens on a unix socket (${address}); give --url`);
  a = a.replace(/^0\.0\.0\.0(?=:)/, '127.0.0.1').replace(/^\[::\](?=:)/, '[::1]').replace(/^:(?=\d)/, '127.0.0.1:');
  return `${scheme}://${a}`;
}

/**
 * Flags first, then SYNCHRO_URL / SYNCHRO_API_KEY (or the STGUIADDRESS / STGUIAPIKEY the service
 * itself reads), then the home's config.xml. A missing config.xml is an error that says where it
 * looked and how to do without it.
 */
export async function resolveTarget(o: TargetOptions): Promise<Target> {
  let url = o.url ?? o.env.SYNCHRO_URL ?? (o.env.STGUIADDRESS ? clientUrl(o.env.STGUIADDRESS, false) : undefined);
  let apiKey = o.apiKey ?? o.env.SYNCHRO_API_KEY ?? o.env.STGUIAPIKEY;
  if (url === undefined || apiKey === undefined) {
    const file = path.join(o.home, 'config.xml');
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch {
      throw new AppError('not-found', `no config.xml at ${file} (the home is --home, else $XDG_STATE_HOME/synchro or ~/.local/state/synchro); give --home, or --url and --api-key`);
    }
    let gui;
    try {
      gui = parseConfigXml(text).cfg.gui;
    } catch (err) {
      throw new AppError('invalid', `${file}: ${(err as Error).message}`);
    }
    url ??= clientUrl(gui.address, gui.useTLS) + (gui.baseUrl ?? '').replace(/\/+$/, '');
    apiKey ??= gui.apiKey;
  }
  if (!apiKey) throw new AppError('invalid', 'no API key: the config has none; give --api-key');
  const trustedCert = /^https:/i.test(url) ? await fs.readFile(path.join(o.home, 'https-cert.pem'), 'utf8').catch(() => undefined) : undefined;
  return { url: url.replace(/\/+$/, ''), apiKey, ...(trustedCert ? { trustedCert } : {}) };
}
