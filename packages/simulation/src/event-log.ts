import type {
  DeadLetter,
  DomainEvent,
  DomainEventType,
  EventConsumer,
  EventHandler,
  EventPublisher,
  RetryPolicy,
} from '@seatrush/core';
import { DEFAULT_RETRY_POLICY, DomainEvent as DomainEventSchema, retryDelayMs } from '@seatrush/core/ports';
import type { FaultInjector } from './faults';
import type { Random } from './random';
import type { Component, Scheduler } from './scheduler';

interface Group {
  /** Everything before it is committed. */
  offset: number;
  owner: SimulatedConsumer | null;
}

/** Options of a {@link SimulatedEventLog}. */
export interface SimulatedEventLogOptions {
  scheduler: Scheduler;
  faults: FaultInjector;
  random: Random;
  /** The component that runs the broker's own timers (it never crashes). */
  broker: Component;
  /** How long a crashed consumer keeps its group's partition before another member takes it. */
  sessionTimeoutMs: number;
}

/**
 * A Kafka-shaped log under the scheduler: publishes append (validated, as a broker with a schema
 * registry would refuse garbage), each consumer group reads at its own committed offset with one
 * member owning the partition, and deliveries are at least once: a delivery may be duplicated
 * (handled, then not committed) or delayed. A crashed owner's partition moves to a standby member
 * after the session timeout, which then redelivers what was not committed.
 */
export class SimulatedEventLog implements EventPublisher {
  readonly events: DomainEvent[] = [];
  readonly deadLetters: DeadLetter[] = [];
  readonly #groups = new Map<string, Group>();
  #waiters: Array<() => void> = [];
  readonly #observers: Array<(event: DomainEvent) => void> = [];

  constructor(private readonly options: SimulatedEventLogOptions) {}

  /** Appends validated events (no faults here: the decorator over each instance's publisher injects them). */
  async publish(events: DomainEvent[]): Promise<void> {
    const valid = events.map((event) => DomainEventSchema.parse(event));
    for (const event of valid) {
      this.events.push(event);
      for (const observe of this.#observers) observe(event);
    }
    this.#wake();
  }

  async close(): Promise<void> {}

  /** Calls `observer` with every event appended from now on (the invariant checker listens here). */
  observe(observer: (event: DomainEvent) => void): void {
    this.#observers.push(observer);
  }

  /** A member of `group` running in `component`. */
  consumer(component: Component, group: string): EventConsumer {
    return new SimulatedConsumer(this, this.options, component, group);
  }

  /** Events not yet committed by `group`. */
  lag(group: string): number {
    return this.events.length - this.group(group).offset;
  }

  /** After the session timeout, the groups a crashed component owned go to their standby members. */
  crashed(component: Component): void {
    const { scheduler, broker, sessionTimeoutMs } = this.options;
    void scheduler.sleep(broker, sessionTimeoutMs, 'session timeout').then(() => {
      for (const group of this.#groups.values()) {
        if (group.owner?.component === component) group.owner = null;
      }
      this.#wake();
    });
  }

  group(name: string): Group {
    let group = this.#groups.get(name);
    if (!group) {
      group = { offset: 0, owner: null };
      this.#groups.set(name, group);
    }
    return group;
  }

  /** Resolves at the next append or ownership change. */
  changed(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  wake(): void {
    this.#wake();
  }
}

class SimulatedConsumer implements EventConsumer {
  #running = false;

  constructor(
    private readonly log: SimulatedEventLog,
    private readonly options: SimulatedEventLogOptions,
    readonly component: Component,
    private readonly groupName: string,
  ) {}

  async start(input: {
    types: DomainEventType[];
    handler: EventHandler;
    retry?: RetryPolicy;
  }): Promise<void> {
    if (this.#running) throw new Error(`consumer of ${this.groupName} already started`);
    this.#running = true;
    void this.#run(new Set(input.types), input.handler, input.retry ?? DEFAULT_RETRY_POLICY);
  }

  async stop(): Promise<void> {
    this.#running = false;
    const group = this.log.group(this.groupName);
    if (group.owner === this) group.owner = null;
    this.log.wake();
  }

  async lag(): Promise<number> {
    return this.log.lag(this.groupName);
  }

  async #run(types: Set<string>, handler: EventHandler, retry: RetryPolicy): Promise<void> {
    const { scheduler, faults, random } = this.options;
    const label = `consume ${this.groupName}`;
    while (this.#running && this.component.alive) {
      await scheduler.gate(this.component, label);
      const group = this.log.group(this.groupName);
      if (group.owner === null) group.owner = this; // a rebalance: this member takes the partition
      if (group.owner !== this || group.offset >= this.log.events.length) {
        await this.log.changed();
        continue;
      }
      if (faults.roll('delivery', faults.rates.deliveryDelay)) {
        await scheduler.sleep(this.component, 1 + random.below(2_000), `${label} (delayed)`);
      }
      const start = group.offset;
      const size = handler.handleBatch && random.chance(0.5) ? 1 + random.below(8) : 1;
      const batch = this.log.events.slice(start, start + size);
      const wanted = batch.filter((event) => types.has(event.type));
      if (wanted.length > 1 && handler.handleBatch) {
        let failed: DomainEvent[];
        try {
          failed = (await handler.handleBatch(wanted.map(copy))).failed.map((f) => f.event);
        } catch {
          failed = wanted;
        }
        for (const event of failed) await this.#deliver(event, handler, retry);
      } else {
        for (const event of wanted) await this.#deliver(event, handler, retry);
      }
      // a duplicate: the work is done but the commit is lost, so the group gets it again
      if (faults.roll('delivery', faults.rates.deliveryDuplicate)) continue;
      if (group.owner === this && group.offset === start) group.offset = start + batch.length;
    }
  }

  async #deliver(event: DomainEvent, handler: EventHandler, retry: RetryPolicy): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await handler.handle(copy(event), { attempt });
        return;
      } catch (error) {
        if (attempt >= retry.maxAttempts) {
          const letter: DeadLetter = {
            event: copy(event),
            raw: JSON.stringify(event),
            error: describe(error),
            attempts: attempt,
            source: `sim:${this.groupName}`,
          };
          this.log.deadLetters.push(letter);
          await handler.onDeadLetter?.(letter).catch(() => undefined);
          return;
        }
        await this.options.scheduler.sleep(this.component, retryDelayMs(retry, attempt), 'retry backoff');
      }
    }
  }
}

/**
 * A deep copy of an event for a handler: events are plain data (parsed on publish), copied field by
 * field, as `structuredClone` would copy them at several times the cost.
 */
function copy(event: DomainEvent): DomainEvent {
  return copyData(event) as DomainEvent;
}

function copyData(value: unknown): unknown {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map(copyData);
  const copied: Record<string, unknown> = {};
  for (const key of Object.keys(value)) copied[key] = copyData((value as Record<string, unknown>)[key]);
  return copied;
}

function describe(error: unknown): { code: string; message: string } {
  const code = (error as { code?: unknown } | null)?.code;
  return {
    code: typeof code === 'string' ? code : 'HANDLER_FAILED',
    message: error instanceof Error ? error.message : String(error),
  };
}
