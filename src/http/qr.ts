import QRCode, { type QRCodeSegment } from 'qrcode';
import type { Middleware } from 'koa';
import { query } from './request.js';
import { sendText } from './respond.js';

/** Syncthing's QR characters for alphanumeric mode. */
const ALPHANUMERIC = /^[0-9A-Z $%*+\-./:]*$/;

/**
 * GET /qr/?text=…: a PNG QR code as Syncthing draws it (rsc's qr package): level M, the text in
 * one mode — numeric, else alphanumeric, else bytes — the smallest version that holds it, 8 pixels
 * per module and a 4-module quiet zone, so the image has Syncthing's size. An empty text is a
 * valid (empty) code; text too long for a QR code is 500 `Invalid`.
 */
export function qrHandler(): Middleware {
  return async (ctx) => {
    const text = query(ctx, 'text') ?? '';
    try {
      const mode = text !== '' && /^\d+$/.test(text) ? 'numeric' : text !== '' && ALPHANUMERIC.test(text) ? 'alphanumeric' : 'byte';
      // One segment of the chosen mode; the library refuses an empty string but not an empty byte segment.
      const input: QRCodeSegment[] = [mode === 'byte' ? { data: Buffer.from(text, 'utf8'), mode } : { data: text, mode }];
      const png = await QRCode.toBuffer(input, { errorCorrectionLevel: 'M', type: 'png', scale: 8, margin: 4 });
      ctx.type = 'image/png';
      ctx.body = png;
    } catch {
      sendText(ctx, 500, 'Invalid');
    }
  };
}
