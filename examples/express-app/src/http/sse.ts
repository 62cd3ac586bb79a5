import type { Request, Response } from 'express';

/** One open Server-Sent Events stream. */
export interface SseClient {
  readonly id: number;
  /** Sends one event; a client that went away is ignored. */
  send(event: string, data: unknown): void;
  /** Ends the stream from the server side. */
  close(): void;
  readonly closed: boolean;
}

/**
 * Keeps every open SSE stream by channel (a sale's queue, a reservation's result, the operator
 * dashboard) so a change is pushed to exactly the clients that watch it. Comments every 15 s keep
 * proxies from closing idle streams; `drain` ends every stream on shutdown with a `shutdown` event
 * telling clients to reconnect elsewhere.
 */
export class SseHub {
  readonly #channels = new Map<string, Set<SseClient>>();
  readonly #keepAlive: NodeJS.Timeout;
  #nextId = 1;
  #accepting = true;
  readonly #onCountChange: (open: number) => void;

  constructor(options: { keepAliveMs?: number; onCountChange?: (open: number) => void } = {}) {
    this.#onCountChange = options.onCountChange ?? (() => {});
    this.#keepAlive = setInterval(() => this.#comment('keep-alive'), options.keepAliveMs ?? 15_000);
    this.#keepAlive.unref();
  }

  /** Open streams in all channels. */
  get size(): number {
    let n = 0;
    for (const set of this.#channels.values()) n += set.size;
    return n;
  }

  /** Whether new streams are accepted (false once draining began). */
  get accepting(): boolean {
    return this.#accepting;
  }

  /** Turns the response into an event stream registered on `channel`. */
  open(req: Request, res: Response, channel: string, onClose?: () => void): SseClient {
    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx and friends buffer responses by default, which would hold events back
      'X-Accel-Buffering': 'no',
    });
    // tell EventSource how long to wait before reconnecting after a drop
    res.write('retry: 2000\n\n');
    const set = this.#channels.get(channel) ?? new Set<SseClient>();
    this.#channels.set(channel, set);
    let closed = false;
    const client: SseClient = {
      id: this.#nextId++,
      get closed() {
        return closed;
      },
      send: (event, data) => {
        if (closed) return;
        res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      },
      close: () => {
        if (closed) return;
        res.end();
        forget();
      },
    };
    const forget = () => {
      if (closed) return;
      closed = true;
      set.delete(client);
      if (set.size === 0) this.#channels.delete(channel);
      this.#onCountChange(this.size);
      onClose?.();
    };
    req.on('close', forget);
    set.add(client);
    this.#onCountChange(this.size);
    return client;
  }

  /** Sends an event to every client of `channel`. */
  broadcast(channel: string, event: string, data: unknown): void {
    for (const client of this.#channels.get(channel) ?? []) client.send(event, data);
  }

  /** The clients of a channel (for per-client messages such as a personal admission). */
  clients(channel: string): SseClient[] {
    return [...(this.#channels.get(channel) ?? [])];
  }

  /** The channels with at least one client whose name starts with `prefix`. */
  channels(prefix: string): string[] {
    return [...this.#channels.keys()].filter((c) => c.startsWith(prefix));
  }

  /**
   * Graceful shutdown: refuses new streams, tells every client to reconnect (`shutdown` event)
   * and ends every stream so the HTTP server can close.
   */
  drain(): void {
    this.#accepting = false;
    clearInterval(this.#keepAlive);
    for (const set of [...this.#channels.values()]) {
      for (const client of [...set]) {
        client.send('shutdown', { reconnectInMs: 2000 });
        client.close();
      }
    }
  }

  #comment(text: string): void {
    for (const set of this.#channels.values()) {
      for (const client of set) if (!client.closed) (client as SseClient).send('ping', { text });
    }
  }
}
