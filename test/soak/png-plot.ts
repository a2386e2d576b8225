import { deflateSync } from 'node:zlib';

/**
 * A small line chart as a PNG, with no drawing library: stacked panels, one per series, each
 * scaled to its own range, with a light grid. Enough to see whether memory stays flat and
 * latency stays low over a soak run.
 */

export interface Series {
  name: string;
  unit: string;
  points: [number, number][];
  color: [number, number, number];
  /** A horizontal limit drawn in red (e.g. the 50 ms goal). */
  limit?: number;
}

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(buf: Buffer): number {
  let c = 0xffffffff;
  for (const b of buf) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

export function plotPng(series: Series[], width = 900, panelHeight = 180): Buffer {
  const margin = 12;
  const height = series.length * (panelHeight + margin) + margin;
  const px = Buffer.alloc(width * height * 3, 255);
  const set = (x: number, y: number, [r, g, b]: [number, number, number]) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (Math.round(y) * width + Math.round(x)) * 3;
    px[i] = r;
    px[i + 1] = g;
    px[i + 2] = b;
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: [number, number, number]) => {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let k = 0; k <= n; k++) set(x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n, c);
  };
  const allX = series.flatMap((s) => s.points.map((p) => p[0]));
  const xMin = Math.min(...allX, 0);
  const xMax = Math.max(...allX, xMin + 1);
  series.forEach((s, idx) => {
    const top = margin + idx * (panelHeight + margin);
    const left = margin;
    const right = width - margin;
    const bottom = top + panelHeight;
    const ys = s.points.map((p) => p[1]);
    const yMax = Math.max(...ys, s.limit ?? 0, 1e-9) * 1.1;
    const X = (x: number) => left + ((x - xMin) / (xMax - xMin)) * (right - left);
    const Y = (y: number) => bottom - (y / yMax) * (bottom - top);
    for (let g = 0; g <= 4; g++) line(left, top + (g * panelHeight) / 4, right, top + (g * panelHeight) / 4, [225, 225, 225]);
    line(left, top, left, bottom, [120, 120, 120]);
    line(left, bottom, right, bottom, [120, 120, 120]);
    if (s.limit !== undefined) line(left, Y(s.limit), right, Y(s.limit), [220, 40, 40]);
    for (let k = 1; k < s.points.length; k++) {
      const [a, b] = [s.points[k - 1]!, s.points[k]!];
      line(X(a[0]), Y(a[1]), X(b[0]), Y(b[1]), s.color);
      line(X(a[0]), Y(a[1]) + 1, X(b[0]), Y(b[1]) + 1, s.color);
    }
  });
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) px.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
