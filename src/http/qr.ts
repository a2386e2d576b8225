import QRCode from 'qrcode';
import type { Middleware } from 'koa';
import { query } from './request.js';
import { sendText } from './respond.js';

/**
 * GET /qr/?text=…: a PNG QR code (error correction level M), as the GUI shows for the device ID.
 * An empty text is a valid (empty) code; text too long for a QR code is 500 `Invalid`.
 */
export function qrHandler(): Middleware {
  return async (ctx) => {
    const text = query(ctx, 'text') ?? '';
    try {
      // The library refuses an empty string but accepts an empty byte segment, which is the same code.
      const input = text === '' ? [{ data: Buffer.alloc(0), mode: 'byte' as const }] : text;
      const png = await QRCode.toBuffer(input, { errorCorrectionLevel: 'M', type: 'png' });
      ctx.type = 'image/png';
      ctx.body = png;
    } catch {
      sendText(ctx, 500, 'Invalid');
    }
  };
}
