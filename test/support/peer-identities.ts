import fs from 'node:fs/promises';
import path from 'node:path';
import { loadOrCreateIdentity, type Identity } from '../../src/auth/certificate.js';

/** Makes (once, in `dir`) and loads `n` device identities for synthetic peers. */
export async function peerIdentities(dir: string, n: number): Promise<Identity[]> {
  await fs.mkdir(dir, { recursive: true });
  const out: Identity[] = [];
  for (let i = 0; i < n; i++) out.push(await loadOrCreateIdentity(path.join(dir, `p${i}.pem`), path.join(dir, `p${i}-key.pem`)));
  return out;
}
