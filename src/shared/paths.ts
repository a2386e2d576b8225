import path from 'node:path';
import os from 'node:os';

/** Every file location of one running instance, derived once from the home directory. */
export interface Paths {
  home: string;
  configFile: string;
  certFile: string;
  keyFile: string;
  httpsCertFile: string;
  httpsKeyFile: string;
  databaseDir: string;
  logFile: string;
  guiDir: string;
  migrationsDir: string;
  userHome: string;
}

/** Where the service keeps its state when --home is not given: $XDG_STATE_HOME/synchro or ~/.local/state/synchro. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_STATE_HOME;
  return xdg && path.isAbsolute(xdg) ? path.join(xdg, 'synchro') : path.join(os.homedir(), '.local', 'state', 'synchro');
}

export function pathsFor(home: string, projectRoot: string, guiAssets?: string): Paths {
  const h = path.resolve(home);
  return {
    home: h,
    configFile: path.join(h, 'config.xml'),
    certFile: path.join(h, 'cert.pem'),
    keyFile: path.join(h, 'key.pem'),
    httpsCertFile: path.join(h, 'https-cert.pem'),
    httpsKeyFile: path.join(h, 'https-key.pem'),
    databaseDir: path.join(h, 'index-v1'),
    logFile: path.join(h, 'synchro.log'),
    guiDir: guiAssets ? path.resolve(guiAssets) : path.join(projectRoot, 'gui'),
    migrationsDir: path.join(projectRoot, 'migrations'),
    userHome: os.homedir(),
  };
}

/** Expands a leading `~` to the user's home directory, as Syncthing does for folder paths. */
export function expandTilde(p: string, userHome = os.homedir()): string {
  if (p === '~') return userHome;
  if (p.startsWith('~/')) return path.join(userHome, p.slice(2));
  return p;
}
