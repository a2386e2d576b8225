import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { parseConfigXml, serializeConfigXml } from '../../src/config/xml.js';
import type { FolderConfiguration } from '../../src/config/types.js';
import { BIN } from './run-bin.js';

export type FolderSpec = Partial<Omit<FolderConfiguration, 'versioning'>> & { versioning?: Partial<FolderConfiguration['versioning']> };

/**
 * A home made by the real `synchro generate`, then given a fixed loopback address, API key and
 * folders (each built on the config's own folder defaults), for tests that run the real binary.
 */
export async function generatedHome(home: string, o: { port: number; apiKey: string; folders: FolderSpec[] }): Promise<string> {
  const gen = spawn(process.execPath, [BIN, 'generate', '--home', home, '--no-default-folder'], { stdio: 'ignore' });
  await new Promise((r) => gen.once('exit', r));
  const configFile = path.join(home, 'config.xml');
  const doc = parseConfigXml(await fs.readFile(configFile, 'utf8'));
  doc.cfg.gui.address = `127.0.0.1:${o.port}`;
  // Device connections on loopback only, whatever port is free.
  doc.cfg.options.listenAddresses = ['tcp://127.0.0.1:0'];
  doc.cfg.gui.apiKey = o.apiKey;
  const defaults = doc.cfg.defaults.folder;
  doc.cfg.folders = o.folders.map((f) => ({ ...structuredClone(defaults), label: f.id, ...f, versioning: { ...defaults.versioning, ...f.versioning } }) as FolderConfiguration);
  await fs.writeFile(configFile, serializeConfigXml(doc));
  return configFile;
}
