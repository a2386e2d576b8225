import { PbReader, PbWriter, ProtocolError, Wire } from './pb.js';

/**
 * The messages of BEP v1 as Syncthing 1.19.2 sends them (proto/lib/protocol/bep.proto), with the
 * fields v2 added kept (bep.md §1.5). ShortIDs, index IDs and version counters are bigint: most
 * exceed 2^53. Sizes, offsets, sequences and times are numbers, refused past 2^53.
 */

export const enum MessageType {
  ClusterConfig = 0,
  Index = 1,
  IndexUpdate = 2,
  Request = 3,
  Response = 4,
  DownloadProgress = 5,
  Ping = 6,
  Close = 7,
}

export const enum Compression {
  None = 0,
  LZ4 = 1,
}

/** A device's `compression` setting, as ClusterConfig carries it. */
export const enum DeviceCompression {
  Metadata = 0,
  Never = 1,
  Always = 2,
}

export const enum ErrorCode {
  NoError = 0,
  Generic = 1,
  NoSuchFile = 2,
  InvalidFile = 3,
}

export const enum FileInfoType {
  File = 0,
  Directory = 1,
  SymlinkFile = 2,
  SymlinkDirectory = 3,
  Symlink = 4,
}

export interface Hello {
  deviceName: string;
  clientName: string;
  clientVersion: string;
  /** v2: connections the sender wants (1.19.2 ignores it). */
  numConnections: number;
  /** v2: the sender's clock, ns. */
  timestamp: bigint;
}

export interface Header {
  type: number;
  compression: number;
}

export interface Device {
  /** 32 bytes: the SHA-256 of the device's certificate. */
  id: Uint8Array;
  name: string;
  addresses: string[];
  compression: number;
  certName: string;
  maxSequence: number;
  introducer: boolean;
  indexId: bigint;
  skipIntroductionRemovals: boolean;
  encryptionPasswordToken: Uint8Array;
}

export interface Folder {
  id: string;
  label: string;
  /** Field 3: 1.19.2's read_only bool, v2's FolderType enum (1 = send-only there too). */
  type: number;
  ignorePermissions: boolean;
  ignoreDelete: boolean;
  disableTempIndexes: boolean;
  /** Field 7: 1.19.2's paused bool, v2's FolderStopReason (1 = paused there too). */
  stopReason: number;
  devices: Device[];
}

export interface ClusterConfig {
  folders: Folder[];
  /** v2: set on the extra connections of a multi-connection device. */
  secondary: boolean;
}

export interface Counter {
  id: bigint;
  value: bigint;
}

export interface BlockInfo {
  offset: number;
  size: number;
  hash: Uint8Array;
  weakHash: number;
}

export interface FileInfo {
  name: string;
  type: number;
  size: number;
  permissions: number;
  modifiedS: number;
  modifiedNs: number;
  modifiedBy: bigint;
  deleted: boolean;
  invalid: boolean;
  noPermissions: boolean;
  version: Counter[];
  sequence: number;
  blockSize: number;
  blocks: BlockInfo[];
  symlinkTarget: Uint8Array;
  blocksHash: Uint8Array;
  encrypted: Uint8Array;
  /** v2 */
  previousBlocksHash: Uint8Array;
  /** v2: raw platform data, kept as bytes. */
  platform: Uint8Array;
}

export interface Index {
  folder: string;
  files: FileInfo[];
  /** v2 */
  lastSequence: number;
  /** v2, IndexUpdate only */
  prevSequence: number;
}

export interface Request {
  id: number;
  folder: string;
  name: string;
  offset: number;
  size: number;
  hash: Uint8Array;
  fromTemporary: boolean;
  weakHash: number;
  blockNo: number;
}

export interface Response {
  id: number;
  data: Uint8Array;
  code: number;
}

export interface FileDownloadProgressUpdate {
  updateType: number;
  name: string;
  version: Counter[];
  blockIndexes: number[];
  blockSize: number;
}

export interface DownloadProgress {
  folder: string;
  updates: FileDownloadProgressUpdate[];
}

export interface Close {
  reason: string;
}

/** A decoded message with its type, as the connection hands it on. */
export type Message =
  | { type: MessageType.ClusterConfig; msg: ClusterConfig }
  | { type: MessageType.Index; msg: Index }
  | { type: MessageType.IndexUpdate; msg: Index }
  | { type: MessageType.Request; msg: Request }
  | { type: MessageType.Response; msg: Response }
  | { type: MessageType.DownloadProgress; msg: DownloadProgress }
  | { type: MessageType.Ping; msg: Record<string, never> }
  | { type: MessageType.Close; msg: Close };

const EMPTY = new Uint8Array(0);

// ---- encoding ----

export function encodeHello(h: Hello): Uint8Array {
  const w = new PbWriter(128);
  w.string(1, h.deviceName);
  w.string(2, h.clientName);
  w.string(3, h.clientVersion);
  w.int32(4, h.numConnections);
  w.int64(5, h.timestamp);
  return w.finish();
}

export function encodeHeader(h: Header): Uint8Array {
  const w = new PbWriter(8);
  w.uint(1, h.type);
  w.uint(2, h.compression);
  return w.finish();
}

function writeDevice(w: PbWriter, d: Device): void {
  w.bytes(1, d.id);
  w.string(2, d.name);
  for (const a of d.addresses) w.string(3, a, true);
  w.uint(4, d.compression);
  w.string(5, d.certName);
  w.uint(6, d.maxSequence);
  w.bool(7, d.introducer);
  w.int64(8, d.indexId);
  w.bool(9, d.skipIntroductionRemovals);
  w.bytes(10, d.encryptionPasswordToken);
}

export function encodeClusterConfig(cc: ClusterConfig): Uint8Array {
  const w = new PbWriter(512);
  for (const f of cc.folders) {
    w.message(1, (x) => {
      x.string(1, f.id);
      x.string(2, f.label);
      x.uint(3, f.type);
      x.bool(4, f.ignorePermissions);
      x.bool(5, f.ignoreDelete);
      x.bool(6, f.disableTempIndexes);
      x.uint(7, f.stopReason);
      for (const d of f.devices) x.message(16, (y) => writeDevice(y, d));
    });
  }
  w.bool(2, cc.secondary);
  return w.finish();
}

function writeVector(w: PbWriter, field: number, v: readonly Counter[]): void {
  w.message(field, (x) => {
    for (const c of v) {
      x.message(1, (y) => {
        y.int64(1, c.id);
        y.int64(2, c.value);
      });
    }
  });
}

export function writeFileInfo(w: PbWriter, f: FileInfo): void {
  w.string(1, f.name);
  w.uint(2, f.type);
  w.uint(3, f.size);
  w.uint(4, f.permissions);
  w.uint(5, f.modifiedS);
  w.bool(6, f.deleted);
  w.bool(7, f.invalid);
  w.bool(8, f.noPermissions);
  writeVector(w, 9, f.version);
  w.uint(10, f.sequence);
  w.int32(11, f.modifiedNs);
  w.int64(12, f.modifiedBy);
  w.int32(13, f.blockSize);
  w.bytes(14, f.platform);
  for (const b of f.blocks) {
    w.message(16, (x) => {
      x.uint(1, b.offset);
      x.int32(2, b.size);
      x.bytes(3, b.hash);
      x.uint(4, b.weakHash);
    });
  }
  w.bytes(17, f.symlinkTarget);
  w.bytes(18, f.blocksHash);
  w.bytes(19, f.encrypted);
  w.bytes(20, f.previousBlocksHash);
}

export function encodeIndex(ix: Index, update: boolean): Uint8Array {
  const w = new PbWriter(1024);
  w.string(1, ix.folder);
  for (const f of ix.files) w.message(2, (x) => writeFileInfo(x, f));
  w.uint(3, ix.lastSequence);
  if (update) w.uint(4, ix.prevSequence);
  return w.finish();
}

export function encodeRequest(r: Request): Uint8Array {
  const w = new PbWriter(128);
  w.int32(1, r.id);
  w.string(2, r.folder);
  w.string(3, r.name);
  w.uint(4, r.offset);
  w.int32(5, r.size);
  w.bytes(6, r.hash);
  w.bool(7, r.fromTemporary);
  w.uint(8, r.weakHash);
  w.int32(9, r.blockNo);
  return w.finish();
}

/** A Response as the bytes before its data, its data (not copied) and the bytes after: the same message as encodeResponse. */
export function encodeResponseParts(r: Response): Uint8Array[] {
  const head = new PbWriter(24);
  head.int32(1, r.id);
  head.bytesHeader(2, r.data.length);
  const tail = new PbWriter(8);
  tail.uint(3, r.code);
  return [head.finish(), r.data, tail.finish()];
}

export function encodeResponse(r: Response): Uint8Array {
  const w = new PbWriter(r.data.length + 16);
  w.int32(1, r.id);
  w.bytes(2, r.data);
  w.uint(3, r.code);
  return w.finish();
}

export function encodeDownloadProgress(p: DownloadProgress): Uint8Array {
  const w = new PbWriter(256);
  w.string(1, p.folder);
  for (const u of p.updates) {
    w.message(2, (x) => {
      x.uint(1, u.updateType);
      x.string(2, u.name);
      writeVector(x, 3, u.version);
      x.repeatedInt32(4, u.blockIndexes);
      x.int32(5, u.blockSize);
    });
  }
  return w.finish();
}

export function encodeClose(c: Close): Uint8Array {
  const w = new PbWriter(64);
  w.string(1, c.reason);
  return w.finish();
}

/** The body of a message, by type. */
export function encodeMessage(m: Message): Uint8Array {
  switch (m.type) {
    case MessageType.ClusterConfig:
      return encodeClusterConfig(m.msg);
    case MessageType.Index:
      return encodeIndex(m.msg, false);
    case MessageType.IndexUpdate:
      return encodeIndex(m.msg, true);
    case MessageType.Request:
      return encodeRequest(m.msg);
    case MessageType.Response:
      return encodeResponse(m.msg);
    case MessageType.DownloadProgress:
      return encodeDownloadProgress(m.msg);
    case MessageType.Ping:
      return EMPTY;
    case MessageType.Close:
      return encodeClose(m.msg);
  }
}

// ---- decoding ----

export function decodeHello(buf: Uint8Array): Hello {
  const r = new PbReader(buf);
  const h: Hello = { deviceName: '', clientName: '', clientVersion: '', numConnections: 0, timestamp: 0n };
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1 && wire === Wire.Bytes) h.deviceName = r.string();
    else if (f === 2 && wire === Wire.Bytes) h.clientName = r.string();
    else if (f === 3 && wire === Wire.Bytes) h.clientVersion = r.string();
    else if (f === 4 && wire === Wire.Varint) h.numConnections = r.int32();
    else if (f === 5 && wire === Wire.Varint) h.timestamp = r.int64();
    else r.skip(wire);
  }
  return h;
}

export function decodeHeader(buf: Uint8Array): Header {
  const r = new PbReader(buf);
  const h: Header = { type: 0, compression: 0 };
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1 && wire === Wire.Varint) h.type = r.uint32();
    else if (f === 2 && wire === Wire.Varint) h.compression = r.uint32();
    else r.skip(wire);
  }
  return h;
}

function readDevice(r: PbReader): Device {
  const d: Device = {
    id: EMPTY,
    name: '',
    addresses: [],
    compression: 0,
    certName: '',
    maxSequence: 0,
    introducer: false,
    indexId: 0n,
    skipIntroductionRemovals: false,
    encryptionPasswordToken: EMPTY,
  };
  while (!r.done) {
    const [f, wire] = r.tag();
    switch (f) {
      case 1:
        PbReader.expect(wire, Wire.Bytes, 'Device.id');
        d.id = r.bytes();
        break;
      case 2:
        PbReader.expect(wire, Wire.Bytes, 'Device.name');
        d.name = r.string();
        break;
      case 3:
        PbReader.expect(wire, Wire.Bytes, 'Device.addresses');
        d.addresses.push(r.string());
        break;
      case 4:
        PbReader.expect(wire, Wire.Varint, 'Device.compression');
        d.compression = r.uint32();
        break;
      case 5:
        PbReader.expect(wire, Wire.Bytes, 'Device.cert_name');
        d.certName = r.string();
        break;
      case 6:
        PbReader.expect(wire, Wire.Varint, 'Device.max_sequence');
        d.maxSequence = r.int64Number('max_sequence');
        break;
      case 7:
        PbReader.expect(wire, Wire.Varint, 'Device.introducer');
        d.introducer = r.bool();
        break;
      case 8:
        PbReader.expect(wire, Wire.Varint, 'Device.index_id');
        d.indexId = r.uint64();
        break;
      case 9:
        PbReader.expect(wire, Wire.Varint, 'Device.skip_introduction_removals');
        d.skipIntroductionRemovals = r.bool();
        break;
      case 10:
        PbReader.expect(wire, Wire.Bytes, 'Device.encryption_password_token');
        d.encryptionPasswordToken = r.bytes();
        break;
      default:
        r.skip(wire);
    }
  }
  if (d.id.length !== 32) throw new ProtocolError(`ClusterConfig: device ID of ${d.id.length} bytes`);
  return d;
}

function readFolder(r: PbReader): Folder {
  const f: Folder = { id: '', label: '', type: 0, ignorePermissions: false, ignoreDelete: false, disableTempIndexes: false, stopReason: 0, devices: [] };
  while (!r.done) {
    const [n, wire] = r.tag();
    switch (n) {
      case 1:
        PbReader.expect(wire, Wire.Bytes, 'Folder.id');
        f.id = r.string();
        break;
      case 2:
        PbReader.expect(wire, Wire.Bytes, 'Folder.label');
        f.label = r.string();
        break;
      case 3:
        PbReader.expect(wire, Wire.Varint, 'Folder.type');
        f.type = r.uint32();
        break;
      case 4:
        f.ignorePermissions = r.bool();
        break;
      case 5:
        f.ignoreDelete = r.bool();
        break;
      case 6:
        f.disableTempIndexes = r.bool();
        break;
      case 7:
        PbReader.expect(wire, Wire.Varint, 'Folder.paused');
        f.stopReason = r.uint32();
        break;
      case 16:
        PbReader.expect(wire, Wire.Bytes, 'Folder.devices');
        f.devices.push(readDevice(r.sub()));
        break;
      default:
        r.skip(wire);
    }
  }
  return f;
}

export function decodeClusterConfig(buf: Uint8Array): ClusterConfig {
  const r = new PbReader(buf);
  const cc: ClusterConfig = { folders: [], secondary: false };
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1) {
      PbReader.expect(wire, Wire.Bytes, 'ClusterConfig.folders');
      cc.folders.push(readFolder(r.sub()));
    } else if (f === 2 && wire === Wire.Varint) cc.secondary = r.bool();
    else r.skip(wire);
  }
  return cc;
}

function readVector(r: PbReader): Counter[] {
  const out: Counter[] = [];
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f !== 1) {
      r.skip(wire);
      continue;
    }
    PbReader.expect(wire, Wire.Bytes, 'Vector.counters');
    const c = r.sub();
    const counter: Counter = { id: 0n, value: 0n };
    while (!c.done) {
      const [n, w] = c.tag();
      if (n === 1 && w === Wire.Varint) counter.id = c.uint64();
      else if (n === 2 && w === Wire.Varint) counter.value = c.uint64();
      else c.skip(w);
    }
    out.push(counter);
  }
  return out;
}

function readBlock(r: PbReader): BlockInfo {
  const b: BlockInfo = { offset: 0, size: 0, hash: EMPTY, weakHash: 0 };
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1 && wire === Wire.Varint) b.offset = r.int64Number('block offset');
    else if (f === 2 && wire === Wire.Varint) b.size = r.int32();
    else if (f === 3 && wire === Wire.Bytes) b.hash = r.bytes();
    else if (f === 4 && wire === Wire.Varint) b.weakHash = r.uint32();
    else r.skip(wire);
  }
  return b;
}

export function readFileInfo(r: PbReader): FileInfo {
  const fi: FileInfo = {
    name: '',
    type: 0,
    size: 0,
    permissions: 0,
    modifiedS: 0,
    modifiedNs: 0,
    modifiedBy: 0n,
    deleted: false,
    invalid: false,
    noPermissions: false,
    version: [],
    sequence: 0,
    blockSize: 0,
    blocks: [],
    symlinkTarget: EMPTY,
    blocksHash: EMPTY,
    encrypted: EMPTY,
    previousBlocksHash: EMPTY,
    platform: EMPTY,
  };
  while (!r.done) {
    const [f, wire] = r.tag();
    switch (f) {
      case 1:
        PbReader.expect(wire, Wire.Bytes, 'FileInfo.name');
        fi.name = r.string();
        break;
      case 2:
        fi.type = r.uint32();
        break;
      case 3:
        fi.size = r.int64Number('file size');
        break;
      case 4:
        fi.permissions = r.uint32();
        break;
      case 5:
        fi.modifiedS = r.int64Number('modified_s');
        break;
      case 6:
        fi.deleted = r.bool();
        break;
      case 7:
        fi.invalid = r.bool();
        break;
      case 8:
        fi.noPermissions = r.bool();
        break;
      case 9:
        PbReader.expect(wire, Wire.Bytes, 'FileInfo.version');
        fi.version = readVector(r.sub());
        break;
      case 10:
        fi.sequence = r.int64Number('sequence');
        break;
      case 11:
        fi.modifiedNs = r.int32();
        break;
      case 12:
        fi.modifiedBy = r.uint64();
        break;
      case 13:
        fi.blockSize = r.int32();
        break;
      case 14:
        PbReader.expect(wire, Wire.Bytes, 'FileInfo.platform');
        fi.platform = r.bytes();
        break;
      case 16:
        PbReader.expect(wire, Wire.Bytes, 'FileInfo.blocks');
        fi.blocks.push(readBlock(r.sub()));
        break;
      case 17:
        PbReader.expect(wire, Wire.Bytes, 'FileInfo.symlink_target');
        fi.symlinkTarget = r.bytes();
        break;
      case 18:
        PbReader.expect(wire, Wire.Bytes, 'FileInfo.blocks_hash');
        fi.blocksHash = r.bytes();
        break;
      case 19:
        PbReader.expect(wire, Wire.Bytes, 'FileInfo.encrypted');
        fi.encrypted = r.bytes();
        break;
      case 20:
        PbReader.expect(wire, Wire.Bytes, 'FileInfo.previous_blocks_hash');
        fi.previousBlocksHash = r.bytes();
        break;
      default:
        r.skip(wire);
    }
  }
  return fi;
}

export function decodeIndex(buf: Uint8Array): Index {
  const r = new PbReader(buf);
  const ix: Index = { folder: '', files: [], lastSequence: 0, prevSequence: 0 };
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1 && wire === Wire.Bytes) ix.folder = r.string();
    else if (f === 2) {
      PbReader.expect(wire, Wire.Bytes, 'Index.files');
      ix.files.push(readFileInfo(r.sub()));
    } else if (f === 3 && wire === Wire.Varint) ix.lastSequence = r.int64Number('last_sequence');
    else if (f === 4 && wire === Wire.Varint) ix.prevSequence = r.int64Number('prev_sequence');
    else r.skip(wire);
  }
  return ix;
}

export function decodeRequest(buf: Uint8Array): Request {
  const r = new PbReader(buf);
  const q: Request = { id: 0, folder: '', name: '', offset: 0, size: 0, hash: EMPTY, fromTemporary: false, weakHash: 0, blockNo: 0 };
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1 && wire === Wire.Varint) q.id = r.int32();
    else if (f === 2 && wire === Wire.Bytes) q.folder = r.string();
    else if (f === 3 && wire === Wire.Bytes) q.name = r.string();
    else if (f === 4 && wire === Wire.Varint) {
      // An offset no file can have is answered as invalid, not taken as a broken message.
      const v = r.int64();
      q.offset = v > BigInt(Number.MAX_SAFE_INTEGER) ? -1 : Number(v);
    }
    else if (f === 5 && wire === Wire.Varint) q.size = r.int32();
    else if (f === 6 && wire === Wire.Bytes) q.hash = r.bytes();
    else if (f === 7 && wire === Wire.Varint) q.fromTemporary = r.bool();
    else if (f === 8 && wire === Wire.Varint) q.weakHash = r.uint32();
    else if (f === 9 && wire === Wire.Varint) q.blockNo = r.int32();
    else r.skip(wire);
  }
  return q;
}

export function decodeResponse(buf: Uint8Array): Response {
  const r = new PbReader(buf);
  const p: Response = { id: 0, data: EMPTY, code: 0 };
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1 && wire === Wire.Varint) p.id = r.int32();
    else if (f === 2 && wire === Wire.Bytes) p.data = r.bytes();
    else if (f === 3 && wire === Wire.Varint) p.code = r.uint32();
    else r.skip(wire);
  }
  return p;
}

export function decodeDownloadProgress(buf: Uint8Array): DownloadProgress {
  const r = new PbReader(buf);
  const p: DownloadProgress = { folder: '', updates: [] };
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1 && wire === Wire.Bytes) p.folder = r.string();
    else if (f === 2) {
      PbReader.expect(wire, Wire.Bytes, 'DownloadProgress.updates');
      const u = r.sub();
      const up: FileDownloadProgressUpdate = { updateType: 0, name: '', version: [], blockIndexes: [], blockSize: 0 };
      while (!u.done) {
        const [n, w] = u.tag();
        if (n === 1 && w === Wire.Varint) up.updateType = u.uint32();
        else if (n === 2 && w === Wire.Bytes) up.name = u.string();
        else if (n === 3 && w === Wire.Bytes) up.version = readVector(u.sub());
        else if (n === 4) u.repeatedInt32(w, up.blockIndexes);
        else if (n === 5 && w === Wire.Varint) up.blockSize = u.int32();
        else u.skip(w);
      }
      p.updates.push(up);
    } else r.skip(wire);
  }
  return p;
}

export function decodeClose(buf: Uint8Array): Close {
  const r = new PbReader(buf);
  const c: Close = { reason: '' };
  while (!r.done) {
    const [f, wire] = r.tag();
    if (f === 1 && wire === Wire.Bytes) c.reason = r.string();
    else r.skip(wire);
  }
  return c;
}

/** Decodes a message body of a known type; undefined for a type this version does not know (skipped, as 1.19.2 does). */
export function decodeMessage(type: number, body: Uint8Array): Message | undefined {
  switch (type) {
    case MessageType.ClusterConfig:
      return { type, msg: decodeClusterConfig(body) };
    case MessageType.Index:
      return { type, msg: decodeIndex(body) };
    case MessageType.IndexUpdate:
      return { type, msg: decodeIndex(body) };
    case MessageType.Request:
      return { type, msg: decodeRequest(body) };
    case MessageType.Response:
      return { type, msg: decodeResponse(body) };
    case MessageType.DownloadProgress:
      return { type, msg: decodeDownloadProgress(body) };
    case MessageType.Ping:
      return { type, msg: {} };
    case MessageType.Close:
      return { type, msg: decodeClose(body) };
    default:
      return undefined;
  }
}
