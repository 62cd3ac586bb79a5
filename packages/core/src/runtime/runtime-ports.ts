import { ConfigurationError } from '../common/errors';
import type { Blocklist } from '../ports/blocklist';
import type { DeadLetterStore } from '../ports/dead-letter-store';
import type { DistributedLock } from '../ports/distributed-lock';
import type { EventConsumer } from '../ports/event-consumer';
import type { EventPublisher } from '../ports/event-publisher';
import type { InventorySteps, InventoryStore } from '../ports/inventory-store';
import type { LeaseStore } from '../ports/lease-store';
import type { QueueingStore } from '../ports/queueing-store';
import type { RateLimiter } from '../ports/rate-limiter';
import type { RecentActivityStore } from '../ports/recent-activity-store';
import type { ReservationRepository } from '../ports/reservation-repository';
import type { SaleControlStore } from '../ports/sale-control-store';
import type { SingleUseStore } from '../ports/single-use-store';
import type { WaitingListStore } from '../ports/waiting-list-store';

/**
 * The ports a {@link SeatRushRuntime} runs on. Each adapter package gives its part as one bundle
 * over a client the host owns, and the host spreads them together:
 * `{ ...redisPorts(redis, { keyPrefix }), ...kafkaPorts(…), ...pgPorts(…) }` — or `memoryPorts()`
 * for everything in one process.
 */
export interface RuntimePorts {
  /** The store bundle: the waiting room with its queueing controls. */
  waitingRoom: QueueingStore;
  /** The store bundle: holds, stock, idempotency and the outbox. */
  inventory: InventoryStore;
  /** The store bundle: the waiting list after sell-out, over the inventory's own state. */
  waitingList?: WaitingListStore;
  /** The store bundle: the lock strategy's steps and lock (only for `strategy: 'lock'`). */
  steps?: InventorySteps;
  lock?: DistributedLock;
  /** The store bundle: rate limits and the blocklist, for the host's defences. */
  rateLimiter?: RateLimiter;
  blocklist?: Blocklist;
  /**
   * The store bundle: each sale's behaviour shared by every instance (lifecycle, admission rate,
   * adaptive pause). Without it, each process keeps its own: run one API instance.
   */
  saleControl?: SaleControlStore;
  /** The store bundle: loop leases, so each sale's admission and reconciler run in one instance at a time. */
  leases?: LeaseStore;
  /** The store bundle: used proof-of-work challenges (`ProofOfWorkChallenges`' `singleUse`). */
  singleUse?: SingleUseStore;
  /** The store bundle: the bot guard's recent activity (`BotGuard`'s `activity`). */
  activity?: RecentActivityStore;
  /** The event bundle: durable events. */
  publisher: EventPublisher;
  /** The event bundle: a consumer in consumer group `group` (a new member each call). */
  consumer(group: string): EventConsumer;
  /** The source-of-truth bundle. */
  repository: ReservationRepository;
  /**
   * Checks what a bundle needs of its server before the runtime starts (Redis persistence and
   * eviction, migrations applied, topics provisioned); throws a `ConfigurationError` saying what
   * is wrong. Bundles spread together keep every check (see {@link combineBundles}).
   */
  verify?(): Promise<void>;
  /** Closes what the bundles opened (their own producers, listeners); never the host's clients. */
  close?(): Promise<void>;
  /**
   * Probes each server a bundle depends on, by name (`redis`, `postgres`, `kafka`), each probe
   * bounded; for a health endpoint. Bundles spread together answer every probe.
   */
  health?(): Promise<Record<string, DependencyHealth>>;
  /** The event bundle: where dead letters outlive the process (Kafka's dead-letter topic). */
  deadLetterStore?: DeadLetterStore;
}

/** One server's state for a health endpoint. */
export interface DependencyHealth {
  ok: boolean;
  /** Where it is (an address without credentials), or why it failed. */
  detail?: string;
}

/**
 * Probes one dependency for a bundle's `health()`: `ok` when `probe` answers within `withinMs`,
 * else why not. Never throws.
 */
export async function probeDependency(
  probe: () => Promise<unknown>,
  detail: string,
  withinMs = 2_000,
): Promise<DependencyHealth> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${withinMs} ms`)), withinMs);
  });
  try {
    await Promise.race([probe(), late]);
    return { ok: true, detail };
  } catch (error) {
    return { ok: false, detail: error instanceof Error ? error.message : String(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** What each port must have, by name: a wrong port is refused at construction, not at start. */
const REQUIRED: Record<string, readonly string[]> = {
  waitingRoom: ['join', 'admit', 'admission', 'enter', 'admitNext', 'configure', 'openPreQueue'],
  inventory: ['load', 'reserve', 'confirm', 'compensate', 'expireDue', 'unrelayed', 'markRelayed'],
  publisher: ['publish', 'close'],
  repository: ['saveSale', 'getSale', 'listOpenSales', 'loadSnapshot', 'insertMany', 'transition'],
};
const OPTIONAL: Record<string, readonly string[]> = {
  waitingList: ['join', 'offer', 'claim'],
  steps: ['findOutcome', 'takeStock', 'writeHold'],
  lock: ['acquire', 'release'],
  rateLimiter: ['consume'],
  blocklist: ['check', 'block'],
  saleControl: ['initialize', 'read', 'transition', 'configure', 'recordAdaptiveDecision'],
  leases: ['acquire', 'renew', 'release'],
  singleUse: ['use'],
};

/**
 * Refuses ports that cannot work, naming the port and what it lacks: a missing port, a port
 * without a method the runtime calls, or a `consumer` that is not a factory of consumers.
 */
export function checkRuntimePorts(ports: RuntimePorts): void {
  if (typeof ports !== 'object' || ports === null) throw new ConfigurationError('ports: expected an object');
  const problems: string[] = [];
  const check = (name: string, methods: readonly string[], required: boolean) => {
    const port = (ports as unknown as Record<string, unknown>)[name];
    if (port === undefined) {
      if (required) problems.push(`${name} is missing`);
      return;
    }
    const lacking = methods.filter(
      (m) => typeof (port as Record<string, unknown> | null)?.[m] !== 'function',
    );
    if (lacking.length > 0) problems.push(`${name} lacks ${lacking.join(', ')}`);
  };
  for (const [name, methods] of Object.entries(REQUIRED)) check(name, methods, true);
  for (const [name, methods] of Object.entries(OPTIONAL)) check(name, methods, false);
  if (typeof ports.consumer !== 'function') {
    problems.push(
      'consumer must be a function (group) => EventConsumer, e.g. kafkaPorts(…).consumer or (group) => bus.consumer(group)',
    );
  }
  if (problems.length > 0) throw new ConfigurationError(`ports: ${problems.join('; ')}`);
}

/**
 * Spreads bundles together keeping every bundle's `verify`, `close` and `health` (a plain spread
 * would keep only the last one's).
 */
export function combineBundles<T extends object[]>(...bundles: T): RuntimePorts {
  const merged = Object.assign({}, ...bundles) as RuntimePorts;
  const verifies = bundles.flatMap((b) =>
    'verify' in b && typeof b.verify === 'function' ? [b.verify] : [],
  );
  const closes = bundles.flatMap((b) => ('close' in b && typeof b.close === 'function' ? [b.close] : []));
  const healths = bundles.flatMap((b) =>
    'health' in b && typeof b.health === 'function'
      ? [b.health as () => Promise<Record<string, DependencyHealth>>]
      : [],
  );
  return {
    ...merged,
    async verify() {
      for (const verify of verifies) await verify();
    },
    async close() {
      const results = await Promise.allSettled(closes.map((close) => close()));
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
    async health() {
      return Object.assign({}, ...(await Promise.all(healths.map((health) => health()))));
    },
  };
}
