import type { RuntimeSale, SeatRushRuntime } from '@seatrush/core';
import { HttpError } from './errors';
import type { SeatRushRequest, SeatRushResponse } from './exchange';
import type { Buyer } from './options';

/** One request in flight, as a route handler sees it (after the guard, identity and body). */
export interface Exchange {
  readonly request: SeatRushRequest;
  readonly response: SeatRushResponse;
  /** Path parameters, every one a safe id. */
  readonly params: Readonly<Record<string, string>>;
  /** The client's address, as `trustProxy` resolves it. */
  readonly ip: string;
  /** The budget group of the address (the address, or its IPv6 /64). */
  readonly address: string;
  readonly now: number;
  /** The buyer (set on buyer routes). */
  readonly buyer: Buyer | null;
  /** The parsed JSON body (on routes that take one), else `{}`. */
  readonly body: unknown;
  /** Headers every answer carries (the security headers). */
  readonly headers: Readonly<Record<string, string>>;
}

/** What a route does with an exchange. */
export type RouteHandler = (exchange: Exchange) => Promise<void> | void;

/** A route's needs: who may call it, whether it spends the join budget, how big its body may be. */
export interface RouteSpec {
  access: 'public' | 'buyer' | 'operator';
  /** The route's path pattern (set by the router from the route's `path`). */
  pattern?: string;
  /** Spends the join budget (queue and waiting-list joins). */
  joins?: boolean;
  /** Reads a JSON body of at most this many bytes; routes without it never read one. */
  bodyLimit?: number;
  /**
   * Reads the body as raw bytes (a `Buffer` in `exchange.body`) of at most this many bytes, never
   * parsed: a payment provider's webhook, whose signature covers the bytes as sent.
   */
  rawBodyLimit?: number;
  handle: RouteHandler;
}

/** Sends a JSON answer. */
export function json(
  exchange: Exchange,
  status: number,
  body: unknown,
  headers?: Readonly<Record<string, string>>,
): void {
  const payload = JSON.stringify(body);
  exchange.response.writeHead(status, {
    ...exchange.headers,
    ...headers,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(payload),
  });
  exchange.response.end(payload);
}

/** A 204 with no body. */
export function noContent(exchange: Exchange): void {
  exchange.response.writeHead(204, exchange.headers);
  exchange.response.end();
}

/** The sale named by `:saleId`, or 404 UNKNOWN_SALE. */
export function saleOf(runtime: SeatRushRuntime, exchange: Exchange): RuntimeSale {
  const id = exchange.params.saleId as string;
  const sale = runtime.sale(id);
  if (!sale) throw new HttpError('UNKNOWN_SALE', `unknown sale: ${id}`);
  return sale;
}

/** The buyer of a buyer route (the pipeline has checked it is there). */
export function buyerOf(exchange: Exchange): Buyer {
  if (!exchange.buyer) throw new HttpError('UNAUTHENTICATED', 'sign in first');
  return exchange.buyer;
}
