/** One text/event-stream message: its fields, or a comment block. */
export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  retry?: string;
  comments: string[];
}

/** Splits a stream's text into messages (blank-line separated), keeping comments. */
export function parseSse(text: string): { messages: SseMessage[]; rest: string } {
  const blocks = text.split('\n\n');
  const rest = blocks.pop()!;
  const messages = blocks.map((block) => {
    const m: SseMessage = { comments: [] };
    for (const line of block.split('\n')) {
      if (line.startsWith(':')) m.comments.push(line.slice(1).trim());
      else {
        const i = line.indexOf(':');
        const key = line.slice(0, i) as 'id' | 'event' | 'data' | 'retry';
        m[key] = line.slice(i + 1).replace(/^ /, '');
      }
    }
    return m;
  });
  return { messages, rest };
}

/** Reads an SSE response body message by message. */
export class SseReader {
  private text = '';
  private queue: SseMessage[] = [];
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  /** A read that outlived a timed-out next(); the next call picks up its chunk. */
  private pending: Promise<{ done: boolean; value?: Uint8Array }> | undefined;
  ended = false;

  constructor(res: Response) {
    this.reader = res.body!.getReader();
  }

  /** The next message; `pred` skips messages until one matches. Rejects after `ms`. */
  async next(pred: (m: SseMessage) => boolean = () => true, ms = 5000): Promise<SseMessage> {
    const deadline = Date.now() + ms;
    for (;;) {
      const i = this.queue.findIndex(pred);
      if (i >= 0) {
        const [m] = this.queue.splice(0, i + 1).slice(-1);
        return m!;
      }
      this.queue = [];
      if (this.ended) throw new Error('stream ended');
      const left = deadline - Date.now();
      if (left <= 0) throw new Error('timed out waiting for an event-stream message');
      let timer: NodeJS.Timeout | undefined;
      this.pending ??= this.reader.read();
      const chunk = await Promise.race([
        this.pending,
        new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error('timed out waiting for an event-stream message')), left))),
      ]).finally(() => clearTimeout(timer));
      this.pending = undefined;
      if (chunk.done) this.ended = true;
      else {
        this.text += this.decoder.decode(chunk.value, { stream: true });
        const { messages, rest } = parseSse(this.text);
        this.text = rest;
        this.queue.push(...messages);
      }
    }
  }

  /** The next message that carries an event. */
  event(ms?: number): Promise<SseMessage> {
    return this.next((m) => m.data !== undefined, ms);
  }

  async close(): Promise<void> {
    await this.reader.cancel().catch(() => {});
  }
}
