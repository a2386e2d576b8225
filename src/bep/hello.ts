import type { Duplex } from 'node:stream';
import { helloFrame, HelloReader } from './frame.js';
import type { Hello } from './messages.js';
import { ProtocolError } from './pb.js';

/** 1.19.2 gives the Hello exchange 20 s. */
export const HELLO_TIMEOUT_MS = 20_000;

/**
 * Writes our Hello at once and reads the peer's (neither side waits for the other, so there is
 * no deadlock). Resolves with the peer's Hello and the bytes that came after it; rejects with a
 * ProtocolError for a bad Hello, or when none came in time or the connection ended first. The
 * socket is left paused, its data listener removed, for the connection to take over.
 */
export function exchangeHello(socket: Duplex, ours: Hello, timeoutMs = HELLO_TIMEOUT_MS): Promise<{ hello: Hello; rest: Uint8Array }> {
  return new Promise((resolve, reject) => {
    const reader = new HelloReader();
    const done = (err?: Error, value?: { hello: Hello; rest: Uint8Array }) => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onError);
      socket.pause();
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      try {
        const got = reader.push(chunk);
        if (got) done(undefined, got);
      } catch (err) {
        done(err as Error);
      }
    };
    const onEnd = () => done(new ProtocolError('the connection ended before the Hello'));
    const onError = (err: Error) => done(err);
    const timer = setTimeout(() => done(new ProtocolError(`no Hello within ${timeoutMs / 1000} s`)), timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onError);
    socket.write(helloFrame(ours));
    socket.resume();
  });
}
