import type { Configuration } from '../../config/types.js';
import type { EventSink } from '../../events/types.js';
import type { IndexStore } from '../../index/index-store.js';
import { MessageType, type ClusterConfig, type FileInfo as WireFile, type Index, type Message } from '../../bep/messages.js';
import { ProtocolError } from '../../bep/pb.js';
import { background } from '../../shared/background.js';
import { formatDeviceId } from '../../shared/device-id.js';
import type { FileInfo } from '../../shared/file-info.js';
import type { Logger } from '../../shared/logger.js';
import type { IndexInfo } from './cluster-config.js';
import { fromWire, MAX_FILES_PER_MESSAGE, toWire, wireSize } from './wire-files.js';

/** What the exchange needs of a live connection. */
export interface PeerLink {
  readonly device: string;
  readonly closed: boolean;
  /** `flushed`: called once the socket is done with the message's bytes (see BepConnection.send). */
  send(m: Message, flushed?: () => void): Promise<void>;
}

export interface IndexExchangeDeps {
  index: IndexStore;
  config: () => Readonly<Configuration>;
  events: EventSink;
  log: Logger;
  myId: string;
  /** Whether a folder runs here (configured, not paused): only those exchange indexes. */
  running(folder: string): boolean;
  /** A peer changed what we know of a folder: its summary and completions are due. */
  remoteChanged(folder: string): void;
}

/** Syncthing's FileInfoBatch bounds (1.19.2 lib/db): a message holds at most this many files or bytes. */
const BATCH_FILES = 1000;
const BATCH_BYTES = 250 << 10;
/** After a round of sending, changes are gathered this long before the next (1.19.2's 250 ms). */
const GATHER_MS = 250;
/** Rows dropped or written per transaction: the event loop gets a turn between slices. */
const SLICE = 500;

const turn = () => new Promise<void>((r) => setImmediate(r));

/** Our index to one device for one folder: the sequence sent so far and whether the next message is a full Index. */
interface Sender {
  folder: string;
  prev: number;
  initial: boolean;
  wake?: () => void;
  stopped: boolean;
}

/**
 * Index exchange (bep.md §1.7–1.8): per connection and shared folder, the index IDs of both sides
 * checked as 1.19.2 does when a ClusterConfig arrives (a device that announces no index ID, or a
 * new one, has everything we held of it dropped), our index sent in sequence order as a full
 * Index or a delta, in batches of at most 1,000 files or 250 KiB, following local changes within
 * 250 ms; and every Index and IndexUpdate received checked whole before any of it is stored.
 */
export class IndexExchange implements IndexInfo {
  private readonly senders = new Map<PeerLink, Map<string, Sender>>();

  constructor(private readonly d: IndexExchangeDeps) {}

  // ---- what our ClusterConfig says ----

  indexId(folder: string, device: string): bigint {
    return this.d.index.indexInfo(folder, device === this.d.myId ? undefined : device).indexId;
  }

  maxSequence(folder: string, device: string): number {
    return this.d.index.indexInfo(folder, device === this.d.myId ? undefined : device).maxSequence;
  }

  /** The configuration shares the folder with the device (whether it runs right now or not). */
  private configShared(folder: string, device: string): boolean {
    return this.d.config().folders.some((f) => f.id === folder && f.devices.some((x) => x.deviceID === device));
  }

  private shared(folder: string, device: string): boolean {
    return this.configShared(folder, device) && this.d.running(folder);
  }

  // ---- a ClusterConfig from the peer ----

  /**
   * For every folder the peer's ClusterConfig shares with us (and we with it, running and not
   * paused on its side): what it says of itself decides what we keep of it, what it says of us
   * decides whether it gets our index from the start or from where it is.
   */
  async clusterConfig(link: PeerLink, cc: ClusterConfig): Promise<void> {
    const mine = this.senders.get(link) ?? new Map<string, Sender>();
    this.senders.set(link, mine);
    for (const f of cc.folders) {
      if (!this.configShared(f.id, link.device)) continue;
      const entryOf = (id: string) => f.devices.find((x) => formatDeviceId(x.id) === id);
      const us = entryOf(this.d.myId);
      const them = entryOf(link.device);
      if (!us || !them) continue; // the connection service closes for this
      // Receiving side: what we hold of them must be of the index they announce.
      const held = this.d.index.indexInfo(f.id, link.device).indexId;
      if (them.indexId === 0n || them.indexId !== held) {
        if (them.indexId === 0n) this.d.log.debug(`device ${link.device} folder ${f.id} does not announce an index ID`);
        else if (held !== 0n) this.d.log.info(`device ${link.device} folder ${f.id} has a new index ID (${them.indexId})`);
        await this.dropDevice(f.id, link.device);
        this.d.index.setRemoteIndexId(f.id, link.device, them.indexId);
        this.d.remoteChanged(f.id);
      }
      // Sending side: a paused folder over there gets nothing until it is resumed.
      if (f.stopReason !== 0 || mine.has(f.id)) continue;
      const ours = this.d.index.indexInfo(f.id);
      let start = 0;
      if (us.indexId === ours.indexId) {
        if (us.maxSequence > ours.maxSequence) this.d.log.info(`device ${link.device} folder ${f.id} is delta index compatible, but seems out of sync with reality`);
        else start = us.maxSequence;
      } else if (us.indexId !== 0n) {
        this.d.log.info(`device ${link.device} folder ${f.id} has mismatching index ID for us (${us.indexId} != ${ours.indexId})`);
      }
      const s: Sender = { folder: f.id, prev: start, initial: start === 0, stopped: false };
      mine.set(f.id, s);
      background(this.runSender(link, s), (m) => this.d.log.debug(m), `sending the index of ${f.id} to ${link.device}`);
    }
    // The device may now have what we need (its index may not change at all on this connection).
    for (const f of cc.folders) if (this.shared(f.id, link.device)) this.d.remoteChanged(f.id);
  }

  /**
   * Everything held of a device in a folder goes, a slice at a time. Its index ID is zeroed
   * first, so that a drop cut short by a crash is redone on the next connection.
   */
  private async dropDevice(folder: string, device: string): Promise<void> {
    this.d.index.setRemoteIndexId(folder, device, 0n);
    while (this.d.index.dropDeviceRows(folder, device, SLICE) > 0) await turn();
  }

  // ---- sending ----

  private async runSender(link: PeerLink, s: Sender): Promise<void> {
    try {
      while (!link.closed && !s.stopped && this.configShared(s.folder, link.device)) {
        // Paused, or restarting after a config change: wait for it to run again.
        if (!this.d.running(s.folder)) {
          await new Promise((r) => setTimeout(r, GATHER_MS).unref());
          continue;
        }
        await this.sendRound(link, s);
        await new Promise((r) => setTimeout(r, GATHER_MS).unref());
        if (link.closed || s.stopped) return;
        if (this.d.index.sequence(s.folder) > s.prev) continue;
        await new Promise<void>((r) => (s.wake = r));
        s.wake = undefined;
      }
    } finally {
      // A folder unshared here ends its sender; sharing it again starts a new one.
      const mine = this.senders.get(link);
      if (mine?.get(s.folder) === s) mine.delete(s.folder);
    }
  }

  /** Everything above what was sent, in sequence order; a rename's delete may overfill a batch to travel with its add. */
  private async sendRound(link: PeerLink, s: Sender): Promise<void> {
    let batch: WireFile[] = [];
    let bytes = 0;
    let lastSeq = s.prev;
    let previousWasDelete = false;
    const flush = async () => {
      if (batch.length === 0) return;
      const msg: Index = { folder: s.folder, files: batch, lastSequence: lastSeq, prevSequence: s.prev };
      await link.send(s.initial ? { type: MessageType.Index, msg } : { type: MessageType.IndexUpdate, msg });
      s.initial = false;
      s.prev = lastSeq;
      batch = [];
      bytes = 0;
    };
    for (let cursor = s.prev; !link.closed && !s.stopped; ) {
      if (!this.shared(s.folder, link.device)) return;
      const rows: FileInfo[] = this.d.index.localSince(s.folder, cursor, BATCH_FILES);
      if (rows.length === 0) break;
      for (const f of rows) {
        if ((batch.length >= BATCH_FILES || bytes >= BATCH_BYTES) && (!f.deleted || previousWasDelete)) await flush();
        batch.push(toWire(f));
        bytes += wireSize(f);
        lastSeq = f.sequence;
        previousWasDelete = f.deleted;
      }
      cursor = rows.at(-1)!.sequence;
      await turn();
    }
    if (!link.closed && !s.stopped) await flush();
  }

  /** A folder's local index moved: every sender of it that waits goes again. */
  localChanged(folder: string): void {
    for (const mine of this.senders.values()) mine.get(folder)?.wake?.();
  }

  /**
   * The configuration changed: a device that no longer shares a folder (or is gone) loses what
   * we held of it there and gets no more of our index; the sharing it newly has with a connected
   * device starts from the ClusterConfig that device sent last (`lastClusterConfig`).
   */
  async configChanged(prev: Readonly<Configuration>, next: Readonly<Configuration>, live: Iterable<{ link: PeerLink; lastClusterConfig?: ClusterConfig }>): Promise<void> {
    for (const f of prev.folders) {
      const still = next.folders.find((x) => x.id === f.id);
      for (const dev of f.devices) {
        if (dev.deviceID === this.d.myId || still?.devices.some((x) => x.deviceID === dev.deviceID)) continue;
        for (const [link, mine] of this.senders) {
          if (link.device !== dev.deviceID) continue;
          const s = mine.get(f.id);
          if (s) (s.stopped = true), s.wake?.(), mine.delete(f.id);
        }
        if (still) {
          this.d.log.info(`folder ${f.id} is no longer shared with ${dev.deviceID}: dropping what we held of its index`);
          await this.dropDevice(f.id, dev.deviceID);
          this.d.remoteChanged(f.id);
        }
      }
    }
    for (const l of live) if (l.lastClusterConfig && !l.link.closed) await this.clusterConfig(l.link, l.lastClusterConfig);
  }

  /** The connection ended: its senders stop. */
  disconnected(link: PeerLink): void {
    const mine = this.senders.get(link);
    this.senders.delete(link);
    for (const s of mine?.values() ?? []) {
      s.stopped = true;
      s.wake?.();
    }
  }

  // ---- receiving ----

  /**
   * An Index (replacing everything held of the device in the folder) or an IndexUpdate
   * (amending it). Every record is checked before anything is stored; one bad record is a
   * protocol error that closes the connection with nothing of the message kept.
   */
  async received(link: PeerLink, msg: Index, update: boolean): Promise<void> {
    // Messages that arrived together are handled one event-loop turn apart.
    await turn();
    const what = update ? 'IndexUpdate' : 'Index';
    if (!this.shared(msg.folder, link.device)) {
      this.d.log.info(`${what} for unexpected folder ID ${JSON.stringify(msg.folder)} sent from device ${link.device}; ensure that the folder exists and that this device is selected under "Share With" in the folder configuration`);
      return;
    }
    if (msg.files.length > MAX_FILES_PER_MESSAGE) throw new ProtocolError(`${what} for ${msg.folder} with ${msg.files.length} files (at most ${MAX_FILES_PER_MESSAGE})`);
    const byName = new Map<string, FileInfo>();
    for (const w of msg.files) {
      const f = fromWire(w);
      byName.delete(f.name); // the last of duplicates wins, in its own place
      byName.set(f.name, f);
    }
    if (!update) {
      const id = this.d.index.indexInfo(msg.folder, link.device).indexId;
      await this.dropDevice(msg.folder, link.device);
      this.d.index.setRemoteIndexId(msg.folder, link.device, id);
    }
    const files = [...byName.values()];
    for (let i = 0; i < files.length; i += SLICE) {
      if (link.closed) return;
      this.d.index.updateRemote(msg.folder, link.device, files.slice(i, i + SLICE));
      if (i + SLICE < files.length) await turn();
    }
    const seq = this.d.index.indexInfo(msg.folder, link.device).maxSequence;
    this.d.events.append('RemoteIndexUpdated', { device: link.device, folder: msg.folder, items: msg.files.length, sequence: seq, version: seq });
    this.d.remoteChanged(msg.folder);
  }
}
