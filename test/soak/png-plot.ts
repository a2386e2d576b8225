import { deflateSync } from 'node:zlib';
import { drawText, GLYPH_H, textWidth } from './bitmap-font.js';

/**
 * A small line chart as a PNG, with no drawing library: stacked panels, one per series, each
 * titled and scaled to its own round range, with labelled grid lines and a shared, labelled time
 * axis. Enough to see whether memory stays flat and latency stays low over a soak run.
 */

export interface Series {
  /** Printed above the panel, e.g. "RSS (MiB)". */
  title: string;
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

type Rgb = [number, number, number];

/** The smallest of 1, 2, 2.5, 5 × 10^k that is at least `raw`: grid steps a reader can add up. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((v) => v >= raw - 1e-12)!;
}

const label = (v: number) => String(Math.round(v * 100) / 100);

/** A moment marked on every panel with a dashed line, e.g. the end of the warm-up. */
export interface Marker {
  x: number;
  label: string;
}

export function plotPng(series: Series[], markers: Marker[] = [], width = 900, panelHeight = 180): Buffer {
  const margin = 12;
  const titleH = 2 * GLYPH_H + 8;
  const axisH = GLYPH_H + 10;
  const left = 64;
  const right = width - margin;
  const slot = titleH + panelHeight + margin;
  const height = margin + series.length * slot + axisH;
  const px = Buffer.alloc(width * height * 3, 255);
  const set = (x: number, y: number, [r, g, b]: Rgb) => {
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const i = (Math.round(y) * width + Math.round(x)) * 3;
    px[i] = r;
    px[i + 1] = g;
    px[i + 2] = b;
  };
  const line = (x0: number, y0: number, x1: number, y1: number, c: Rgb) => {
    const n = Math.max(Math.abs(x1 - x0), Math.abs(y1 - y0), 1);
    for (let k = 0; k <= n; k++) set(x0 + ((x1 - x0) * k) / n, y0 + ((y1 - y0) * k) / n, c);
  };
  const text = (t: string, x: number, y: number, scale: number, c: Rgb) => drawText(t, x, y, scale, (a, b) => set(a, b, c));
  const ink: Rgb = [60, 60, 60];
  const allX = series.flatMap((s) => s.points.map((p) => p[0]));
  const xMin = Math.min(...allX, 0);
  const xMax = Math.max(...allX, xMin + 1);
  const X = (x: number) => left + ((x - xMin) / (xMax - xMin)) * (right - left);
  const xStep = niceStep((xMax - xMin) / 10);
  series.forEach((s, idx) => {
    const top = margin + idx * slot + titleH;
    const bottom = top + panelHeight;
    text(s.title, left, top - titleH + 2, 2, s.color);
    const ys = s.points.map((p) => p[1]).filter(Number.isFinite);
    const step = niceStep(Math.max(...ys, s.limit ?? 0, 1e-9) / 4);
    const yMax = step * 4;
    const Y = (y: number) => bottom - (Math.min(y, yMax * 1.05) / yMax) * (bottom - top);
    for (let g = 0; g <= 4; g++) {
      const y = Y(g * step);
      line(left, y, right, y, [225, 225, 225]);
      const t = label(g * step);
      text(t, left - 6 - textWidth(t, 1), y - 3, 1, ink);
    }
    for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax; x += xStep) line(X(x), top, X(x), bottom, [240, 240, 240]);
    for (const m of markers) {
      for (let y = top; y < bottom; y += 6) line(X(m.x), y, X(m.x), Math.min(y + 3, bottom), [90, 90, 90]);
      text(m.label, X(m.x) + 4, top + 2, 1, [90, 90, 90]);
    }
    line(left, top, left, bottom, [120, 120, 120]);
    line(left, bottom, right, bottom, [120, 120, 120]);
    if (s.limit !== undefined) line(left, Y(s.limit), right, Y(s.limit), [220, 40, 40]);
    for (let k = 1; k < s.points.length; k++) {
      const [a, b] = [s.points[k - 1]!, s.points[k]!];
      line(X(a[0]), Y(a[1]), X(b[0]), Y(b[1]), s.color);
      line(X(a[0]), Y(a[1]) + 1, X(b[0]), Y(b[1]) + 1, s.color);
    }
  });
  // One time axis under the last panel, shared by all.
  const axisY = margin + series.length * slot - margin + 4;
  for (let x = Math.ceil(xMin / xStep) * xStep; x <= xMax; x += xStep) {
    const t = label(x);
    text(t, Math.min(X(x) - textWidth(t, 1) / 2, right - textWidth(t, 1)), axisY, 1, ink);
  }
  text('TIME (S)', right - textWidth('TIME (S)', 1), axisY + GLYPH_H + 3, 1, ink);
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) px.copy(raw, y * (width * 3 + 1) + 1, y * width * 3, (y + 1) * width * 3);
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
