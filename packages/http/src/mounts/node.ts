import type { IncomingMessage, RequestListener, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
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
 * capped in total and per peer address (a peer over its cap is disconnected at once).
 */
export function hardenServer(server: Server, settings: ServerSettings = {}): Server {
  server.headersTimeout = settings.headersTimeoutMs ?? 10_000;
  server.requestTimeout = settings.requestTimeoutMs ?? 30_000;
  server.keepAliveTimeout = settings.keepAliveTimeoutMs ?? 65_000;
  server.maxConnections = settings.maxConnections ?? 60_000;
  server.maxHeadersCount = settings.maxHeadersCount ?? 64;
  const perAddress = settings.maxConnectionsPerAddress ?? 64;
  const open = new Map<string, number>();
  // one listener for every connection's close, not a closure each (a server may hold 60,000): the
  // socket keeps its peer address once read, so the close finds the count it was counted in
  function onClose(this: Socket): void {
    const address = this.remoteAddress ?? 'unknown';
    const left = (open.get(address) ?? 1) - 1;
    if (left <= 0) open.delete(address);
    else open.set(address, left);
  }
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = (open.get(address) ?? 0) + 1;
    if (count > perAddress) {
      socket.destroy();
      return;
    }
    open.set(address, count);
    socket.on('close', onClose);
  });
  return server;
}

export type { IncomingMessage, ServerResponse };
