import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';

/**
 * A request as the handlers see it, whatever the framework: node:http's `IncomingMessage` is one
 * (and so are Express's `req` and Fastify's `request.raw`). The body is the raw stream: it is
 * read only by the route that needs it, after authentication, up to the route's limit.
 */
export interface SeatRushRequest {
  readonly method?: string | undefined;
  /** Path and query, relative to where the API is mounted (`/sales/s1/queue?x=1`). */
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
  /** The headers as sent, names and values alternating (node:http's): their order feeds the bot guard. */
  readonly rawHeaders?: readonly string[] | undefined;
  /** The peer's address (the proxy's, behind one: see `trustProxy`). */
  readonly socket?: { readonly remoteAddress?: string | undefined } | null;
  /** The unread body. */
  [Symbol.asyncIterator](): AsyncIterator<unknown>;
}

/**
 * A response as the handlers write it: node:http's `ServerResponse` is one (and so are Express's
 * `res` and Fastify's `reply.raw`). An SSE stream is a response left open and written to.
 */
export interface SeatRushResponse {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  writeHead(status: number, headers?: OutgoingHttpHeaders): unknown;
  write(chunk: string | Uint8Array): boolean;
  end(chunk?: string | Uint8Array): unknown;
  once(event: 'close', listener: () => void): unknown;
  /**
   * When present (node:http's responses have it), an event stream listens with it: one listener
   * function shared by every stream, called with the response as `this`, instead of a closure and
   * a `once` wrapper per stream.
   */
  on?(event: 'close', listener: (this: SeatRushResponse) => void): unknown;
}
