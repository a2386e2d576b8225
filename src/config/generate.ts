import { defaultsOf, CONFIGURATION, FOLDER } from './schema.js';
import { randomToken } from '../shared/random.js';
import type { Configuration, FolderConfiguration } from './types.js';

/**
 * A new configuration as `syncthing generate` writes one: built-in defaults, a random 32-character
 * API key, and (unless asked not to) the folder "default" labelled "Default Folder" at `defaultFolderPath`.
 */
export function generateConfig(defaultFolderPath: string | undefined): Configuration {
  const cfg = defaultsOf(CONFIGURATION) as unknown as Configuration;
  cfg.gui.apiKey = randomToken(32);
  // As Syncthing's config.New: the GUI shows its "set a user and password" notice until dismissed.
  cfg.options.unackedNotificationIDs = ['authenticationUserAndPassword'];
  if (defaultFolderPath) {
    const folder = defaultsOf(FOLDER) as unknown as FolderConfiguration;
    folder.id = 'default';
    folder.label = 'Default Folder';
    folder.path = defaultFolderPath;
    cfg.folders.push(folder);
  }
  return cfg;
}
