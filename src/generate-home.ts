import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { loadOrCreateIdentity } from './auth/certificate.js';
import { hashPassword } from './auth/password.js';
import { readConfigText } from './config/config-store.js';
import { writeFileAtomic } from './shared/atomic-write.js';
import { generateConfig } from './config/generate.js';
import { prepareConfig } from './config/prepare.js';
import { parseConfigXml, serializeConfigXml } from './config/xml.js';
import { AppError, messageOf } from './shared/errors.js';
import { pathsFor } from './shared/paths.js';

export interface GenerateOptions {
  home: string;
  user?: string;
  password?: string;
  noDefaultFolder: boolean;
  userHome: string;
}

/**
 * `synchro generate`: like `syncthing generate`, makes the key, certificate and config.xml if they
 * are missing, and sets the GUI user and password when given, without prompting. An existing
 * config.xml keeps everything else.
 */
export async function generateHome(opts: GenerateOptions): Promise<{ myId: string; configFile: string }> {
  if ((opts.user === undefined) !== (opts.password === undefined) && opts.user !== undefined) {
    // A user without a password would leave auth off while looking configured.
    throw new AppError('invalid', '--gui-user needs --gui-password');
  }
  const p = pathsFor(opts.home, process.cwd());
  try {
    await fs.mkdir(p.home, { recursive: true, mode: 0o700 });
  } catch (err) {
    throw new AppError('invalid', `home directory ${p.home} is not usable: ${messageOf(err)}`);
  }
  const { deviceId } = await loadOrCreateIdentity(p.certFile, p.keyFile);
  const text = await readConfigText(p.configFile);
  let doc;
  if (text === undefined) {
    const folderPath = opts.noDefaultFolder ? undefined : path.join(opts.userHome, 'Sync');
    if (folderPath) await fs.mkdir(folderPath, { recursive: true });
    doc = { cfg: generateConfig(folderPath), extras: {} };
  } else {
    try {
      doc = parseConfigXml(text);
    } catch (err) {
      throw new AppError('invalid', `${p.configFile}: ${messageOf(err)}`);
    }
  }
  if (opts.user !== undefined) doc.cfg.gui.user = opts.user;
  if (opts.password !== undefined) doc.cfg.gui.password = await hashPassword(opts.password);
  prepareConfig(doc.cfg, deviceId, os.hostname());
  await writeFileAtomic(p.configFile, serializeConfigXml(doc));
  return { myId: deviceId, configFile: p.configFile };
}
