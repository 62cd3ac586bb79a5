import { Socket } from 'node:net';
import { HttpError } from './errors';
import type { SeatRushResponse } from './exchange';

/** Caps on Server-Sent Events streams: every stream holds a socket, so each is bounded. */
export interface StreamLimits {
  /** Open streams per client address group (an IPv4 address, an IPv6 /64); default 20. */
  perAddress: number;
  /** Open streams per buyer; default 6 (a few tabs). */
  perBuyer: number;
  /** Open streams in this process; default 50,000. */
  total: number;
  /** A comment is sent this often so proxies keep idle streams open; default 25 s. */
  keepAliveMs: number;
}

/** One open stream: the response and what it counts against (kept small: there may be 50,000). */
export interface Stream {
  readonly response: SeatRushResponse;
  readonly channel: string;
  readonly address: string;
  readonly buyer: string | null;
  /** Per-channel data, e.g. a queue watcher's ticket. */
  ticket: number;
  userId: string;
}

/**
 * The headers of an event stream, and only these: node:http keeps a response's whole header block
 * for the response's life, so every header here is paid once per open stream (tens of thousands).
 * A page's security headers (CSP, framing, HSTS) mean nothing on a `text/event-stream` a script
 * reads; nosniff stays, so the stream is never taken for anything else.
 */
const OPEN_HEADERS = {
  'Content-Type': 'text/event-stream; charset=utf-8',
  'Cache-Control': 'no-store, no-transform',
  // nginx and friends buffer responses by default, which would hold events back
  'X-Accel-Buffering': 'no',
  'X-Content-Type-Options': 'nosniff',
};
const RETRY = Buffer.from('retry: 2000\n\n');
const KEEP_ALIVE = Buffer.from(': keep-alive\n\n');

/** An event frame: serialized once, written as the same bytes to every watcher. */
export function frame(event: string, data: unknown): Buffer {
  return Buffer.from(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Every open SSE stream by channel (a sale's queue, a sale's seat map, a reservation's result, the
 * operator's stats). A broadcast is one frame serialized once and shared by every watcher; a
 * stream over a cap is refused with 429 before it is opened.
 */
export class StreamHub {
  readonly #channels = new Map<string, Set<Stream>>();
  readonly #perAddress = new Map<string, number>();
  readonly #perBuyer = new Map<string, number>();
  readonly #limits: StreamLimits;
  readonly #keepAlive: NodeJS.Timeout;
  #open = 0;
  #accepting = true;
  /** The one `close` listener of every stream (`this` is the response). */
  readonly #onClose: (this: SeatRushResponse) => void;

  constructor(limits: StreamLimits) {
    this.#limits = limits;
    const hub = this;
    this.#onClose = function (this: SeatRushResponse) {
      const stream = (this as Tracked)[STREAM];
      if (stream) hub.#forget(stream);
    };
    this.#keepAlive = setInterval(() => this.#writeAll(KEEP_ALIVE), limits.keepAliveMs);
    this.#keepAlive.unref();
  }

  get size(): number {
    return this.#open;
  }

  /** Refuses (429/503) a stream that would pass a cap, before anything is written. */
  admit(address: string, buyer: string | null): void {
    if (!this.#accepting) throw new HttpError('SHUTTING_DOWN', 'the server is shutting down');
    if (this.#open >= this.#limits.total) throw tooMany('this server holds as many streams as it may');
    if ((this.#perAddress.get(address) ?? 0) >= this.#limits.perAddress) {
      throw tooMany('too many open streams from your address');
    }
    if (buyer !== null && (this.#perBuyer.get(buyer) ?? 0) >= this.#limits.perBuyer) {
      throw tooMany('too many open streams for your session; close a tab');
    }
  }

  /** Opens `response` as an event stream on `channel` (call {@link admit} first). */
  open(response: SeatRushResponse, channel: string, address: string, buyer: string | null): Stream {
    this.admit(address, buyer);
    response.writeHead(200, OPEN_HEADERS);
    response.write(RETRY);
    let set = this.#channels.get(channel);
    if (!set) {
      set = new Set();
      this.#channels.set(channel, set);
    }
    // the channel's name is kept once, not once per stream (each route builds its own copy)
    const stream: Stream = {
      response,
      channel: set.size > 0 ? (set.values().next().value as Stream).channel : channel,
      address,
      buyer,
      ticket: 0,
      userId: '',
    };
    set.add(stream);
    this.#open++;
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    if (buyer !== null) this.#perBuyer.set(buyer, (this.#perBuyer.get(buyer) ?? 0) + 1);
    if (response.on) {
      (response as Tracked)[STREAM] = stream;
      response.on('close', this.#onClose);
    } else response.once('close', () => this.#forget(stream));
    shareHead(response);
    releaseRequest(response);
    releaseSocket(response);
    return stream;
  }

  /** Writes one frame to every stream of `channel`. */
  broadcast(channel: string, bytes: Buffer): void {
    const set = this.#channels.get(channel);
    if (set) for (const stream of set) stream.response.write(bytes);
  }

  /** The streams of a channel (for per-watcher messages). */
  streams(channel: string): ReadonlySet<Stream> {
    return this.#channels.get(channel) ?? EMPTY;
  }

  /** The channels with at least one stream whose name starts with `prefix`. */
  channels(prefix: string): string[] {
    const found: string[] = [];
    for (const channel of this.#channels.keys()) if (channel.startsWith(prefix)) found.push(channel);
    return found;
  }

  /** Ends a stream from the server side. */
  end(stream: Stream): void {
    if (!stream.response.writableEnded) stream.response.end();
    this.#forget(stream);
  }

  /** Shutdown: refuses new streams, tells every client to reconnect elsewhere, ends every stream. */
  close(): void {
    this.#accepting = false;
    clearInterval(this.#keepAlive);
    const bye = frame('shutdown', { reconnectInMs: 2_000 });
    for (const set of [...this.#channels.values()]) {
      for (const stream of [...set]) {
        stream.response.write(bye);
        this.end(stream);
      }
    }
  }

  #writeAll(bytes: Buffer): void {
    for (const set of this.#channels.values()) for (const stream of set) stream.response.write(bytes);
  }

  #forget(stream: Stream): void {
    const set = this.#channels.get(stream.channel);
    if (!set?.delete(stream)) return;
    if (set.size === 0) this.#channels.delete(stream.channel);
    this.#open--;
    decrement(this.#perAddress, stream.address);
    if (stream.buyer !== null) decrement(this.#perBuyer, stream.buyer);
  }
}

const EMPTY: ReadonlySet<Stream> = new Set();

/** Where a response keeps its stream, for the shared `close` listener. */
const STREAM = Symbol('seatrush.stream');
type Tracked = SeatRushResponse & { [STREAM]?: Stream };

/** The header block of the last stream opened: the next with the same text shares it. */
let lastHead = '';

/**
 * node:http keeps a response's header block (`_header`) for the response's life, built by
 * concatenation: a tree of some 25 string pieces, about 800 bytes an open stream. Streams answered
 * within the same second have the same block (their `Date` is the only header that changes), so a
 * stream keeps the previous stream's string when the text is the same (no bytes of its own), or a
 * flat copy (about 260 bytes) when it is not. node:http reads the block only as text (once sent,
 * only to know that it was). Anything else is left as it is.
 */
function shareHead(response: SeatRushResponse): void {
  const held = response as { _header?: unknown };
  const head = held._header;
  if (typeof head !== 'string') return;
  if (head === lastHead) held._header = lastHead;
  else held._header = lastHead = Buffer.from(head, 'latin1').toString('latin1');
}

const NO_RAW_HEADERS: readonly string[] = Object.freeze([]);
const NO_HEADERS = Object.freeze({});

/**
 * node:http keeps an open response's request for the response's life, and with it the request's
 * copies of its headers: `rawHeaders`, and the `headers` object once anything read it (some 260
 * bytes a stream, before Express's or Fastify's own). The route has read every header it needs
 * before the stream opens, so an event stream's request lets go of them: a listener that reads
 * the request's headers when the stream ends finds none.
 */
function releaseRequest(response: SeatRushResponse): void {
  const request = (response as { req?: unknown }).req;
  if (typeof request !== 'object' || request === null || !('rawHeaders' in request)) return;
  const held = request as {
    rawHeaders: unknown;
    headers: unknown;
    rawTrailers?: unknown;
    httpVersion?: unknown;
    url?: unknown;
  };
  held.rawHeaders = NO_RAW_HEADERS;
  held.headers = NO_HEADERS;
  // a GET has no trailers: the shared empty list instead of an empty array of its own
  if (Array.isArray(held.rawTrailers) && held.rawTrailers.length === 0) held.rawTrailers = NO_RAW_HEADERS;
  // the same version text and path as the last stream's: one string, not one a stream
  if (held.httpVersion === '1.1') held.httpVersion = '1.1';
  if (typeof held.url === 'string') {
    if (held.url === lastUrl) held.url = lastUrl;
    else lastUrl = held.url;
  }
}

/** What node:http's responses outside a server count their buffered bytes with: nothing. */
const NO_PENDING = (): void => {};

/** The path of the last stream opened (see {@link releaseRequest}). */
let lastUrl = '';

/**
 * node:http gives every connection three wrappers of its socket's `on`, `addListener` and
 * `prependListener` (closures and their scopes: about 300 bytes), so that a `data` or `readable`
 * listener added later takes the socket back from the native parser. Nothing adds such a listener
 * to an event stream's socket: the stream's socket gets the plain methods back, as node:http
 * itself does once the socket has no parser.
 */
function releaseSocket(response: SeatRushResponse): void {
  const socket = (response as { socket?: unknown }).socket;
  if (!(socket instanceof Socket)) return;
  const plain = Socket.prototype;
  const own = socket as { on: unknown; addListener: unknown; prependListener: unknown };
  if (own.on !== plain.on && (own.on as { name?: string }).name === 'socketListenerWrap') {
    own.on = plain.on;
    own.addListener = plain.addListener;
    own.prependListener = plain.prependListener;
  }
  // node:http counts the bytes a response buffers while another answer holds its socket (to pause
  // the connection's next requests), with a function bound per response; a stream's response holds
  // its socket with nothing buffered, so it only ever buffers once the socket can no longer be
  // written: the plain no-op does, as for any response outside a server
  const pending = response as { _onPendingData?: unknown; outputData?: unknown };
  if (
    (socket as { _httpMessage?: unknown })._httpMessage === response &&
    Array.isArray(pending.outputData) &&
    pending.outputData.length === 0 &&
    typeof pending._onPendingData === 'function'
  ) {
    pending._onPendingData = NO_PENDING;
  }
  // a third `close` listener (the response's, after node:http's and a host's such as
  // hardenServer's) grew the socket's listener list to room for 19; the same list, to size
  const events = (socket as { _events?: { close?: unknown } })._events;
  if (events && Array.isArray(events.close) && events.close.length > 2) events.close = events.close.slice();
}

function tooMany(message: string): HttpError {
  return new HttpError(
    'TOO_MANY_STREAMS',
    message,
    { retryAfterMs: 5_000 },
    { headers: { 'Retry-After': '5' } },
  );
}

function decrement(counts: Map<string, number>, key: string): void {
  const left = (counts.get(key) ?? 1) - 1;
  if (left <= 0) counts.delete(key);
  else counts.set(key, left);
}
