import { createHmac, randomBytes } from 'node:crypto';
import {
  type Blocklist,
  BotGuard,
  type BotGuardOptionsInput,
  botGuardHook,
  type ChallengeProvider,
  type CheckoutStore,
  type Clock,
  createSeatRushRuntime,
  type NotificationOutbox,
  type RateLimiter,
  type ReserveStrategy,
  type RuntimeCheckoutOptions,
  type RuntimePorts,
  type SeatRushRuntime,
  SimulatedPaymentProvider,
} from '@seatrush/core';
import { Invitations, ProofOfWorkChallenges, subjectOf } from '@seatrush/core/services';
import { MemoryRequestGuard, type RequestGuard } from '@seatrush/http';
import type { ReadSide } from '@seatrush/pg-adapter';
import type { Logger } from 'pino';
import type { PaymentSimulator } from '../payment-simulator';
import { deliverAfterAnswer } from '../webhook-delivery';
import { LoggingAlertSink } from './alerts';

/** A connection pool's usage, for the metrics. */
export interface PoolUsage {
  total: number;
  idle: number;
  waiting: number;
}

/**
 * What the app runs on: the SDK's ports (`memoryPorts()` by default, or the three bundles over
 * the app's clients, see `servers.ts`) and the clients behind them, which the app owns.
 */
export type AppPorts = RuntimePorts & {
  mode?: 'memory' | 'servers';
  clock?: Clock;
  pools?(): Record<string, PoolUsage>;
  /** The buyer-driven checkout's records and outbox on the real servers (in memory when absent). */
  checkoutStore?: CheckoutStore;
  notificationOutbox?: NotificationOutbox;
  /** The read side on the real servers (seat map, stats, audit); the hot store serves reads when absent. */
  readSide?: ReadSide;
  /**
   * The API's request guard (`@seatrush/http`: its rate limits, blocks and signed-out sessions),
   * shared by every instance on the real servers; this process's own when absent.
   */
  requestGuard?: RequestGuard;
  /** Closes the clients the app opened for these ports, once the runtime has closed. */
  closeClients?(): Promise<void>;
};

/** Settings of the app's runtime: which loops run here, and its defences. */
export interface PlatformSettings {
  /** Signs admission tokens: at least 32 bytes, shared by every instance (not the session cookies' key). */
  tokenSecret: string | Uint8Array;
  /** Signs the bypass and priority invitations (random when absent: a worker never sees one). */
  invitationSecret?: string;
  /** Run the reservation worker in this process. */
  worker: boolean;
  /** Run the sale loops (admission, sweeper, reconciler, waiting-list offers, adaptive admission). */
  saleLoops: boolean;
  powDifficulty: number;
  strategy?: ReserveStrategy;
  botGuard?: BotGuardOptionsInput;
  reconcileEveryMs?: number;
  adaptiveIntervalMs?: number;
  waitingListClaimMs?: number;
  payments: PaymentSimulator;
  /**
   * `auto` (default): the worker charges `payments` as soon as a hold is made. `buyer`: the buyer
   * pays within the hold through the SDK's checkout, on the simulator provider.
   */
  checkout?: 'auto' | 'buyer';
  log: Logger;
}

/** The SDK's runtime with what the app adds around it: its defences' ports, alerts, payments. */
export interface Platform {
  readonly mode: 'memory' | 'servers';
  readonly runtime: SeatRushRuntime;
  readonly rateLimiter: RateLimiter;
  readonly blocklist: Blocklist;
  readonly challenges: ChallengeProvider;
  /** The same challenges bound to the subject given as is (`@seatrush/http` binds `user:<id>` itself). */
  readonly proofOfWork: ChallengeProvider;
  readonly invitations: Invitations;
  readonly payments: PaymentSimulator;
  /** The provider the buyer's payment form talks to, in the `buyer` checkout; null in `auto`. */
  readonly paymentProvider: SimulatedPaymentProvider | null;
  readonly alerts: LoggingAlertSink;
  /** Where seat maps, stats and audits are read on the real servers; null in memory. */
  readonly readSide: ReadSide | null;
  /** The API's request guard: in Redis on the real servers, so a sign-out holds on every instance. */
  readonly requestGuard: RequestGuard;
  now(): number;
  pools(): Record<string, PoolUsage>;
  /** Closes the runtime (loops, worker, publisher flush), then the app's clients. */
  close(): Promise<void>;
}

/**
 * The app's SeatRush: one `createSeatRushRuntime` over the ports, with the SDK's bot guard (proof
 * of work before joining) and one invitation key for every sale. Every sale it serves, defined
 * or restored, logs its hooks.
 */
export function createPlatform(ports: AppPorts, settings: PlatformSettings): Platform {
  const { log } = settings;
  const { rateLimiter, blocklist } = ports;
  if (!rateLimiter || !blocklist)
    throw new Error('the app needs the store bundle’s rate limiter and blocklist');
  // signed and single-use in the shared store: a challenge one instance issued is answered at any other
  const challenges = new ProofOfWorkChallenges({
    difficulty: Math.max(1, settings.powDifficulty),
    secret: createHmac('sha256', settings.tokenSecret).update('proof-of-work challenges').digest(),
    ...(ports.singleUse ? { singleUse: ports.singleUse } : {}),
  });
  const bot = new BotGuard(
    { blocklist, rateLimiter, challenges, ...(ports.activity ? { activity: ports.activity } : {}) },
    { challenge: { mode: 'always' }, ...settings.botGuard },
  );
  const invitations = new Invitations({ secret: settings.invitationSecret ?? randomBytes(32) });
  const alerts = new LoggingAlertSink(log);
  const loops = settings.saleLoops;
  // in-process webhooks: the simulator signs each one and hands it to the runtime's handler
  const paymentProvider =
    settings.checkout === 'buyer'
      ? new SimulatedPaymentProvider({
          ...(ports.clock ? { clock: ports.clock } : {}),
          deliver: deliverAfterAnswer((delivery) => runtime.checkout!.handleWebhook(delivery), log),
        })
      : null;
  const runtime = createSeatRushRuntime({
    ports,
    payments: settings.payments,
    checkout: paymentProvider ? buyerCheckout(paymentProvider, ports, log) : 'auto',
    admissionSecret: settings.tokenSecret,
    alerts,
    ...(ports.clock ? { clock: ports.clock } : {}),
    strategy: settings.strategy ?? 'atomic',
    guard: botGuardHook(bot),
    queueing: { invitations },
    // a checkout ends the buyer's session (the SDK's default, endSessionOnCheckout): their place
    // goes to the next buyer at once, and a buyer who wants more tickets queues again
    loops: {
      worker: settings.worker,
      ...{ admission: loops, sweeper: loops, reconciler: loops, waitingList: loops, adaptive: loops },
    },
    ...(settings.reconcileEveryMs ? { reconcileIntervalMs: settings.reconcileEveryMs } : {}),
    ...(settings.adaptiveIntervalMs ? { adaptiveIntervalMs: settings.adaptiveIntervalMs } : {}),
    ...(settings.waitingListClaimMs ? { waitingListClaimMs: settings.waitingListClaimMs } : {}),
    // the hooks as log lines: per-buyer ones at debug (a rush makes thousands), the rest at info
    onServe: (sale) =>
      sale.hooks.onAny((event) => {
        const level = event.type === 'admitted' || event.type === 'held' ? 'debug' : 'info';
        log[level]({ hook: event }, `sale hook ${event.type}`);
      }),
  });
  const clock = runtime.clock;
  return {
    mode: ports.mode ?? 'memory',
    runtime,
    rateLimiter,
    blocklist,
    challenges: {
      // challenges are bound to the same subject the guard verifies them with
      issue: (input) => challenges.issue({ subject: subjectOf('user', input.subject), now: input.now }),
      verify: (input) => challenges.verify({ ...input, subject: subjectOf('user', input.subject) }),
    },
    proofOfWork: challenges,
    invitations,
    payments: settings.payments,
    paymentProvider,
    alerts,
    readSide: ports.readSide ?? null,
    requestGuard: ports.requestGuard ?? new MemoryRequestGuard(),
    now: () => clock.now(),
    pools: () => ports.pools?.() ?? {},
    async close() {
      await runtime.close();
      await ports
        .closeClients?.()
        .catch((error: unknown) => log.warn({ err: error }, 'closing the clients failed'));
    },
  };
}

/** The buyer-driven checkout on the simulator; notifications to buyers are log lines here. */
function buyerCheckout(
  provider: SimulatedPaymentProvider,
  ports: AppPorts,
  log: Logger,
): RuntimeCheckoutOptions {
  return {
    provider,
    currency: 'usd', // the currency the web client shows prices in
    ...(ports.checkoutStore && ports.notificationOutbox
      ? { store: ports.checkoutStore, outbox: ports.notificationOutbox }
      : {}),
    sender: { send: async (notification: unknown) => log.info({ notification }, 'notification sent') },
  };
}
