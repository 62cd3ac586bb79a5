import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type ListenOptions,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { SeatRushHttp } from '../http';

/**
 * A node:http request listener serving the API under `basePath` (default `/api`); any other path
 * is answered 404 JSON, or passed to `fallback`:
 * `createServer(nodeHandler(api, { basePath: '/api' }))`.
 */
export function nodeHandler(
  api: SeatRushHttp,
  options: { basePath?: string; fallback?: RequestListener } = {},
): RequestListener {
  const base = trimBase(options.basePath ?? '/api');
  const notFound: RequestListener = (_req, res) => {
    res.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
    res.end('{"error":{"code":"NOT_FOUND","message":"no such route"}}');
  };
  const fallback = options.fallback ?? notFound;
  let lastPath = '';
  return (req, res) => {
    const url = req.url ?? '/';
    if (!under(url, base)) return void fallback(req, res);
    const original = url;
    req.url = url.slice(base.length) || '/';
    void api.handle(req, res).then((handled) => {
      // the full path again: what a listener of the answer's end expects, and an event stream's
      // request then keeps one copy of its path, not the original and a slice of it (the same
      // path as the last request's is that string: one copy for a room's streams, not one each)
      if (original !== lastPath) lastPath = original;
      req.url = lastPath;
      if (!handled) fallback(req, res);
    });
  };
}

/** Whether `url` is `base` or below it. */
export function under(url: string, base: string): boolean {
  if (base === '') return true;
  if (!url.startsWith(base)) return false;
  const next = url.charCodeAt(base.length);
  return Number.isNaN(next) || next === 47 /* / */ || next === 63 /* ? */;
}

export function trimBase(base: string): string {
  return base === '/' ? '' : base.replace(/\/+$/, '');
}

/** Settings of {@link hardenServer}. */
export interface ServerSettings {
  /** A request's headers must arrive within this (slow-loris); default 10 s. */
  headersTimeoutMs?: number;
  /** A whole request must arrive within this; default 30 s (SSE responses are not bound by it). */
  requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this; default 65 s (longer than most load balancers' 60 s). */
  keepAliveTimeoutMs?: number;
  /** Connections this process holds at most; default 60,000 (SSE streams included). */
  maxConnections?: number;
  /** Open connections per client address at most; default 64 (counted on the socket peer). */
  maxConnectionsPerAddress?: number;
  /** Header lines at most; default 64. */
  maxHeadersCount?: number;
}

/**
 * Applies the connection limits and timeouts a public server needs: half-sent requests are cut
 * (headers within 10 s, a request within 30 s), idle keep-alive connections closed, connections
 * capped in total and per peer address (a connection over either cap is disconnected at once),
 * whichever listening socket accepted it (see {@link listenInLanes}).
 */
export function hardenServer(server: Server, settings: ServerSettings = {}): Server {
  server.headersTimeout = settings.headersTimeoutMs ?? 10_000;
  server.requestTimeout = settings.requestTimeoutMs ?? 30_000;
  server.keepAliveTimeout = settings.keepAliveTimeoutMs ?? 65_000;
  server.maxConnections = settings.maxConnections ?? 60_000;
  server.maxHeadersCount = settings.maxHeadersCount ?? 64;
  const perAddress = settings.maxConnectionsPerAddress ?? 64;
  const open = new Map<string, number>();
  // the total is counted here too, not only by net's maxConnections: that counts the connections
  // its own listening socket accepted, and listenInLanes hands the server connections other
  // sockets accepted, so only this count sees every connection the server holds
  let total = 0;
  // one listener for every connection's close, not a closure each (a server may hold 60,000): the
  // socket keeps its peer address once read, so the close finds the count it was counted in
  function onClose(this: Socket): void {
    total--;
    const address = this.remoteAddress ?? 'unknown';
    const left = (open.get(address) ?? 1) - 1;
    if (left <= 0) open.delete(address);
    else open.set(address, left);
  }
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > perAddress || total >= server.maxConnections) {
      socket.destroy();
      return;
    }
    total++;
    open.set(address, count);
    socket.on('close', onClose);
  });
  return server;
}

/** Options of {@link listenInLanes}: node's listen options and the number of lanes. */
export interface LaneListenOptions extends ListenOptions {
  /**
   * Listening sockets on the one port, each with its own accept queue; default 1 (a plain
   * `server.listen`). Node accepts one connection per listening socket per turn of its event loop
   * (libuv 1.45+), so a busy process takes new connections in at the rate its loop turns: under a
   * spike, buyers who already have a connection are served while the newcomers wait in the
   * kernel's queue. N lanes accept up to N a turn. Needs SO_REUSEPORT (Linux, FreeBSD 12+).
   */
  lanes?: number;
}

/**
 * Listens `server` on `options` through `lanes` sockets sharing the port (SO_REUSEPORT; the
 * kernel spreads new connections over them), every one feeding the same server: a connection a
 * lane accepts is handed to `server` as its own (`'connection'`), so its request listener,
 * timeouts, `closeIdleConnections()` and `hardenServer`'s per-address cap all apply.
 * `server.close()` closes the lanes too, and calls back once every lane has closed as well.
 * `maxConnections` alone caps each lane (a lane takes the server's value when it opens);
 * `hardenServer` caps the total of every lane.
 * Resolves with the port (the first socket's, when `port` is 0).
 */
export async function listenInLanes(server: Server, options: LaneListenOptions): Promise<number> {
  const { lanes: count = 1, ...listen } = options;
  if (!Number.isInteger(count) || count < 1)
    throw new RangeError(`lanes must be a whole number ≥ 1: ${count}`);
  const shared = count > 1 ? { ...listen, reusePort: true } : listen;
  await listenOn(server, shared);
  const port = (server.address() as AddressInfo).port;
  const lanes: NetServer[] = [];
  const close = server.close.bind(server);
  server.close = ((callback?: (error?: Error) => void) => {
    const closed = lanes.map((lane) => new Promise<void>((resolve) => lane.close(() => resolve())));
    close((error?: Error) => {
      void Promise.all(closed).then(() => callback?.(error));
    });
    return server;
  }) as Server['close'];
  const handOver = (socket: Socket) => server.emit('connection', socket);
  // the server's own socket options (node:http's: half-open allowed, no Nagle) for what a lane accepts
  const own = server as unknown as SocketDefaults;
  const socketOptions = {
    allowHalfOpen: own.allowHalfOpen,
    noDelay: own.noDelay,
    keepAlive: own.keepAlive,
    keepAliveInitialDelay: own.keepAliveInitialDelay,
    highWaterMark: own.highWaterMark,
  };
  try {
    for (let i = 1; i < count; i++) {
      const lane = createNetServer(socketOptions, handOver);
      lane.maxConnections = server.maxConnections;
      lanes.push(lane);
      await listenOn(lane, { ...shared, port });
    }
  } catch (error) {
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }
  return port;
}

/** What net.Server keeps of its options (node:http sets them for the sockets it accepts). */
interface SocketDefaults {
  allowHalfOpen: boolean;
  noDelay: boolean;
  keepAlive: boolean;
  keepAliveInitialDelay: number;
  highWaterMark: number;
}

function listenOn(server: NetServer, options: ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(options, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

export type { IncomingMessage, ServerResponse };
