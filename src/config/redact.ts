import type { Configuration } from './types.js';

/**
 * The config as a support bundle shows it: the API key, the GUI user and password, LDAP's bind
 * DN and every folder encryption password replaced by REDACTED (Syncthing redacts the first
 * three and the encryption passwords; the bind DN names an account, so it goes too).
 * `secrets` lists the replaced keys and passwords, so the bundle's other texts can be scrubbed of
 * them too (names are left out: scrubbing a user name like "admin" from logs would garble them).
 */
export function redactConfig(cfg: Readonly<Configuration>): { config: Configuration; secrets: string[] } {
  const config = structuredClone(cfg) as Configuration;
  const secrets: string[] = [];
  const redact = (value: string, secret = true): string => {
    if (value === '') return value;
    if (secret) secrets.push(value);
    return 'REDACTED';
  };
  config.gui.apiKey = redact(config.gui.apiKey) || 'REDACTED';
  config.gui.user = redact(config.gui.user, false);
  config.gui.password = redact(config.gui.password);
  config.ldap.bindDN = redact(config.ldap.bindDN, false);
  for (const f of [...config.folders, config.defaults.folder]) {
    for (const d of f.devices) d.encryptionPassword = redact(d.encryptionPassword);
  }
  return { config, secrets };
}
