import fs from 'node:fs/promises';
import type { EventSink } from '../events/types.js';
import { AppError } from '../shared/errors.js';
import { writeFileAtomic } from '../shared/atomic-write.js';
import { prepareConfig } from './prepare.js';
import { serializeConfigXml, xmlTextProblem, type XmlExtras } from './xml.js';
import type { Configuration } from './types.js';

/** Something that reacts to a new configuration (folder runners, the GUI listener, event emitters). */
export interface ConfigSubscriber {
  /** May reject the new configuration by throwing; nothing has changed yet when it does. */
  verify?(next: Readonly<Configuration>, prev: Readonly<Configuration>): void | Promise<void>;
  /** Applies an accepted configuration; returns true when it can only take effect after a restart. */
  commit(next: Readonly<Configuration>, prev: Readonly<Configuration>): void | boolean | Promise<void | boolean>;
}

export interface ConfigStoreDeps {
  file: string;
  events: EventSink;
  myId: string;
  hostname: string;
  /** Turns a plaintext GUI password into a bcrypt hash (injected: bcrypt lives in auth/). */
  hashPassword(plain: string): Promise<string>;
  isPasswordHash(value: string): boolean;
}

/** How many modifications may wait at once before callers are told to back off (Syncthing: 1000). */
const MAX_QUEUED = 1000;

function deepFreeze<T>(v: T): T {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

/**
 * The one place the configuration changes. modify() runs queued, one at a time:
 * copy → caller's edit → prepare (validate, normalise, hash a new password) → unchanged? stop →
 * subscribers verify → save config.xml atomically → swap → ConfigSaved event → subscribers commit.
 * A failure before the save leaves memory and disk as they were.
 */
export class ConfigStore {
  private cfg: Configuration;
  private extras: XmlExtras;
  private queue: Promise<unknown> = Promise.resolve();
  private queued = 0;
  private subscribers: ConfigSubscriber[] = [];
  private restartNeeded = false;

  constructor(
    private readonly deps: ConfigStoreDeps,
    initial: Configuration,
    extras: XmlExtras = {},
  ) {
    this.cfg = deepFreeze(structuredClone(initial));
    this.extras = extras;
  }

  /** The current configuration: a frozen snapshot, safe to hold on to. */
  current(): Readonly<Configuration> {
    return this.cfg;
  }

  get requiresRestart(): boolean {
    return this.restartNeeded;
  }

  subscribe(s: ConfigSubscriber): () => void {
    this.subscribers.push(s);
    return () => {
      this.subscribers = this.subscribers.filter((x) => x !== s);
    };
  }

  /**
   * Applies `edit` to a copy of the configuration and, if the result differs, saves and publishes it.
   * Resolves to whether anything changed. Throws AppError('invalid') for a configuration that cannot be used.
   */
  modify(edit: (draft: Configuration) => void | Promise<void>): Promise<boolean> {
    if (this.queued >= MAX_QUEUED) return Promise.reject(new AppError('internal', 'too many concurrent config modifications'));
    this.queued++;
    const run = this.queue.then(() => this.apply(edit));
    this.queue = run.catch(() => undefined).finally(() => this.queued--);
    return run;
  }

  /** Writes the current configuration to disk (used once at first start). */
  async save(): Promise<void> {
    await this.write(this.cfg);
  }

  private async apply(edit: (draft: Configuration) => void | Promise<void>): Promise<boolean> {
    const prev = this.cfg;
    const draft = structuredClone(prev) as Configuration;
    await edit(draft);
    prepareConfig(draft, this.deps.myId, this.deps.hostname);
    // What config.xml cannot hold is refused rather than written into a file no XML reader takes.
    const bad = xmlTextProblem(draft);
    if (bad) throw new AppError('invalid', `${bad.path}: contains ${bad.char}, which a configuration file cannot hold`);
    if (draft.gui.password !== prev.gui.password && !this.deps.isPasswordHash(draft.gui.password)) {
      draft.gui.password = await this.deps.hashPassword(draft.gui.password);
    }
    if (JSON.stringify(draft) === JSON.stringify(prev)) return false;
    for (const s of this.subscribers) await s.verify?.(draft, prev);
    await this.write(draft);
    this.cfg = deepFreeze(draft);
    this.deps.events.append('ConfigSaved', this.cfg);
    for (const s of this.subscribers) {
      if ((await s.commit(this.cfg, prev)) === true) this.restartNeeded = true;
    }
    return true;
  }

  private async write(cfg: Configuration): Promise<void> {
    const text = serializeConfigXml({ cfg, extras: this.extras });
    try {
      await writeFileAtomic(this.deps.file, text);
    } catch (err) {
      throw new AppError('internal', `saving config: ${(err as Error).message}`, { cause: err });
    }
  }
}

/** Reads config.xml as text; undefined when it does not exist. */
export async function readConfigText(file: string): Promise<string | undefined> {
  try {
    return await fs.readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
