/**
 * `@seatrush/http`: SeatRush's buyer and operator API as framework-neutral handlers over a
 * runtime, with the defences built in, and mounts for node:http, Express and Fastify.
 */

export { addressGroup, clientAddressResolver, type TrustProxy } from './client-address';
export { readCookie } from './cookies';
export { type ErrorBody, HttpError, statusOf } from './errors';
export type { SeatRushRequest, SeatRushResponse } from './exchange';
export { RedisRequestGuard, type RedisRequestGuardOptions } from './guard/redis-request-guard';
export {
  type GuardBlock,
  type GuardCheck,
  type GuardLimit,
  type GuardVerdict,
  MemoryRequestGuard,
  type RequestGuard,
} from './guard/request-guard';
export { createSeatRushHttp, type SeatRushHttp } from './http';
export type { SeatMap, SeatMapReader } from './live';
export { type ExpressMiddleware, expressMiddleware } from './mounts/express';
export { fastifyPlugin } from './mounts/fastify';
export {
  hardenServer,
  type LaneListenOptions,
  listenInLanes,
  nodeHandler,
  type ServerSettings,
} from './mounts/node';
export type { AnswerEvent, BodyLimits, Buyer, Rate, RateLimits, SeatRushHttpOptions } from './options';
export { DEFAULT_BODY_LIMITS, DEFAULT_LIMITS, DEFAULT_SECURITY_HEADERS, DEFAULT_STREAMS } from './options';
export { scopedIdempotencyKey } from './scoped-key';
export {
  type SessionClaims,
  SessionCookies,
  type SessionCookiesOptions,
  separateSecrets,
} from './session-cookies';
export type { StreamLimits } from './sse';
export type { QueueView, ReservationView } from './views';
