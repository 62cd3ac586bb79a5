import type {
  ChallengeProvider,
  CheckoutPayment,
  Invitations,
  JoinGuard,
  SeatRushRuntime,
} from '@seatrush/core';
import type { TrustProxy } from './client-address';
import type { SeatRushRequest } from './exchange';
import type { RequestGuard } from './guard/request-guard';
import type { SeatMapReader } from './live';
import type { StreamLimits } from './sse';

/** Who a request comes from, as the host's `identify` says. */
export interface Buyer {
  /** The buyer's id (1-64 characters of A-Z a-z 0-9 _ . -); never taken from a body or a path. */
  id: string;
  /** The sign-in this request belongs to: `SeatRushHttp.revoke` refuses it from then on. */
  sessionId?: string;
  /**
   * Whether the identity came from a cookie (a browser sends it by itself): state changes then
   * need a same-origin `Origin`, so another site cannot make the browser act for the buyer.
   */
  cookie?: boolean;
}

/** A steady rate with bursts: `perSecond` on average, up to `burst` at once. */
export interface Rate {
  perSecond: number;
  burst: number;
}

/** The rate limits the guard applies, all charged in the one store call of a request. */
export interface RateLimits {
  /** Every request of a client address group (an IPv4 address, an IPv6 /64). */
  perAddress: Rate;
  /** Every request of a buyer. */
  perBuyer: Rate;
  /** Every request this API serves, on every instance (it protects the stores). */
  global: Rate;
  /** Joins (queue and waiting list) of a buyer, and of an address group. */
  joins: Rate;
  /**
   * Joins of an address group (every buyer behind it); default the buyer's `joins` with four times
   * its burst. Raise it for many buyers behind one address (a load test on loopback, a campus NAT).
   */
  joinsPerAddress?: Rate;
  /** Every operator request of an address group. */
  operator: Rate;
  /** Failed operator authentications of an address group; once spent, the group is blocked. */
  operatorFailures: Rate;
}

/** Body limits per kind of route, in bytes. */
export interface BodyLimits {
  /** Buyer routes (a join, a reservation); default 4 KiB. */
  buyer: number;
  /** Operator routes; default 16 KiB. */
  operator: number;
  /** An operator's sale definition (a seat map); default 1 MiB. */
  saleDefinition: number;
  /** The payment provider's webhook (raw bytes, never parsed here); default 64 KiB. */
  webhook: number;
}

/** Options of {@link createSeatRushHttp}. */
export interface SeatRushHttpOptions {
  runtime: SeatRushRuntime;
  /**
   * The host's identity: the buyer a request comes from, or null (answered 401). Throw an
   * `HttpError` for a 4xx of your own. `SessionCookies.identify` is one.
   */
  identify(request: SeatRushRequest, now: number): Buyer | null | Promise<Buyer | null>;
  /**
   * The host's operator authentication (a bearer token, an SSO cookie…). It runs after the
   * request guard and before any operator body is read; failures are throttled per address group.
   */
  authorizeOperator(request: SeatRushRequest): boolean | Promise<boolean>;
  /** Where limits and blocks live; one process's memory by default (use `RedisRequestGuard` with several). */
  guard?: RequestGuard;
  /** Which proxies are believed about the client's address; none by default. */
  trustProxy?: TrustProxy;
  limits?: Partial<RateLimits>;
  streams?: Partial<StreamLimits>;
  bodyLimits?: Partial<BodyLimits>;
  /**
   * Origins allowed to change state with a cookie-authenticated request, besides the request's own
   * host (`https://shop.example`).
   */
  allowedOrigins?: readonly string[];
  /** Signs the operator's bypass/priority invitations (the same one the sales' queueing verifies with). */
  invitations?: Invitations;
  /**
   * The bot guard the waiting list's joins run. Default: the runtime's (`runtime.joinGuard`, the
   * `guard` every sale's queue runs), so the list is no way around the queue's defences; give one
   * only for a different guard.
   */
  joinGuard?: JoinGuard;
  /**
   * The challenge provider the host's `BotGuard` verifies answers with (`ProofOfWorkChallenges`
   * from `@seatrush/core/services`, or a CAPTCHA): `POST /sales/:id/challenge` issues one ahead
   * of the join, bound to the buyer, so a client can solve it before joining.
   */
  challenges?: ChallengeProvider;
  /**
   * Headers sent with every answer; the defaults are a strict CSP for an API, nosniff, no framing,
   * no referrer, HSTS. `false` sends none (a host whose proxy sets them).
   */
  securityHeaders?: Readonly<Record<string, string>> | false;
  /**
   * Told of every payment a buyer began or kept alive through the checkout routes (a host's
   * payments panel, its metrics); it must not throw.
   */
  onPayment?: (event: { saleId: string; userId: string; payment: CheckoutPayment }) => void;
  /**
   * Where seat maps are read (`GET /sales/:id/seats` and its stream; cached 250 ms, pushed when they
   * change): the hot store by default; a host with a read side (PostgreSQL views a projector keeps)
   * reads it there, off the hot store.
   */
  seatMap?: SeatMapReader;
  /**
   * The HTTP status of join and status answers per waiting-room state, e.g. `{ WAITING: 202,
   * PRE_QUEUE: 202 }` for clients that poll on 202; unset states answer 201 (a new join) or 200.
   */
  queueStatusCodes?: Partial<Record<'WAITING' | 'ADMITTED' | 'PRE_QUEUE', number>>;
  /**
   * Told of every answer the API gave (a host's metrics and logs): once the status is written
   * (an event stream: once it is open). It must not throw.
   */
  observe?: (answer: AnswerEvent) => void;
}

/** One answer of the API, for {@link SeatRushHttpOptions.observe}. */
export interface AnswerEvent {
  method: string;
  /** The route's pattern (`/sales/:saleId/reservations`), never the raw path: bounded cardinality. */
  route: string;
  /** The path parameters (`saleId`, `reservationId`, …), every one a safe id. */
  params: Readonly<Record<string, string>>;
  status: number;
  /** The refusal's code (`SOLD_OUT`, `RATE_LIMITED`, …); undefined for a success. */
  code: string | undefined;
  durationMs: number;
}

/** The defaults: generous for people, tight for scripts. */
export const DEFAULT_LIMITS: RateLimits = {
  perAddress: { perSecond: 50, burst: 100 },
  perBuyer: { perSecond: 10, burst: 30 },
  global: { perSecond: 50_000, burst: 100_000 },
  joins: { perSecond: 0.5, burst: 5 },
  operator: { perSecond: 20, burst: 60 },
  operatorFailures: { perSecond: 0.1, burst: 10 },
};

export const DEFAULT_STREAMS: StreamLimits = {
  perAddress: 20,
  perBuyer: 6,
  total: 50_000,
  keepAliveMs: 25_000,
};

export const DEFAULT_BODY_LIMITS: BodyLimits = {
  buyer: 4_096,
  operator: 16_384,
  saleDefinition: 1_048_576,
  webhook: 65_536,
};

export const DEFAULT_SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
};
