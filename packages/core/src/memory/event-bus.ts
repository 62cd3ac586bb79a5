import { z } from 'zod';
import { ConfigurationError, PublishError } from '../common/errors';
import { validate } from '../common/validate';
import { DomainEvent, type DomainEventType } from '../events/events';
import type { DeadLetter, EventConsumer, EventHandler, RetryPolicy } from '../ports/event-consumer';
import type { EventPublisher } from '../ports/event-publisher';
import { copyPlain } from './plain-copy';

const RetryPolicySchema = z
  .object({
    maxAttempts: z.number().int().positive().max(100),
    initialDelayMs: z.number().int().nonnegative(),
    maxDelayMs: z.number().int().nonnegative(),
  })
  .refine((p) => p.maxDelayMs >= p.initialDelayMs, {
    path: ['maxDelayMs'],
    message: 'must be ≥ initialDelayMs',
  });
const StartInput = z.object({
  types: z.array(z.enum(DomainEvent.options.map((option) => option.shape.type.value))).min(1),
  handler: z.custom<EventHandler>(
    (value) =>
      typeof value === 'object' && value !== null && typeof (value as EventHandler).handle === 'function',
    'must have a handle(event, context) method',
  ),
  retry: RetryPolicySchema.optional(),
});
const DomainEvents = z.array(DomainEvent);
const GroupName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,128}$/, 'group must be 1-128 characters of A-Z a-z 0-9 _ . -');

/** The retry policy a consumer uses when `start` gets none. */
export const DEFAULT_RETRY_POLICY: RetryPolicy = { maxAttempts: 5, initialDelayMs: 100, maxDelayMs: 5_000 };

/** Delay before try `attempt + 1` after try `attempt` failed: exponential, capped. */
export function retryDelayMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
}

interface Message {
  key: string;
  /**
   * The body as delivered; for a published event, written out only when a dead letter needs it
   * (the event is never changed once logged: consumers get copies).
   */
  raw?: string;
  /** Null for a poison message (a body that is not a valid DomainEvent). */
  event: DomainEvent | null;
  /** Why the body is poison. */
  problem?: string;
}

interface Group {
  /** The next message to hand out; everything before it is committed. */
  offset: number;
  /** The started consumer that receives the group's messages; others stand by. */
  owner: MemoryEventConsumer | null;
}

/**
 * An event log in memory, Kafka-shaped: `publish` appends validated events to one log; each
 * consumer group reads it from the beginning at its own committed offset, handling one message at
 * a time (so order per key holds), retrying a failing handler with exponential backoff and
 * dead-lettering after the last try. Backoff waits real time (use small delays in tests).
 */
export class MemoryEventBus implements EventPublisher {
  readonly #log: Message[] = [];
  readonly #groups = new Map<string, Group>();
  readonly #deadLetters: DeadLetter[] = [];
  readonly #waiters = new Set<() => void>();
  #closed = false;
  #failures: Error[] = [];

  async publish(events: DomainEvent[]): Promise<void> {
    if (this.#closed) throw new PublishError('the event bus is closed');
    const valid = validate('events', DomainEvents, events);
    const failure = this.#failures.shift();
    if (failure) throw new PublishError(`publish failed: ${failure.message}`, { cause: failure });
    for (const event of valid) this.#log.push({ key: event.key, event });
    this.#wake();
  }

  /**
   * Appends a raw message body as a broker would deliver it, valid or not: the way tests send a
   * poison message, which consumers must dead-letter without calling the handler.
   */
  async publishRaw(raw: string, key: string): Promise<void> {
    let parsed: unknown;
    let problem: string | undefined;
    try {
      parsed = JSON.parse(raw);
    } catch (error) {
      problem = `not JSON: ${(error as Error).message}`;
    }
    const result = problem === undefined ? DomainEvent.safeParse(parsed) : undefined;
    if (result && !result.success) problem = result.error.issues.map((i) => i.message).join('; ');
    this.#log.push({
      key,
      raw,
      event: result?.success ? result.data : null,
      ...(problem ? { problem } : {}),
    });
    this.#wake();
  }

  /** Makes the next `times` publishes reject with PublishError (nothing appended): for compensation tests. */
  failNextPublishes(times = 1, cause: Error = new Error('broker unavailable')): void {
    for (let i = 0; i < times; i += 1) this.#failures.push(cause);
  }

  async close(): Promise<void> {
    this.#closed = true;
  }

  /** A consumer in `group`; consumers of one group share its committed offset. */
  consumer(group: string): EventConsumer {
    validate('consumer group', GroupName, group);
    return new MemoryEventConsumer(this.#access(), group);
  }

  /** Every event published so far, oldest first (poison messages left out). */
  published(): DomainEvent[] {
    return this.#log.flatMap((m) => (m.event ? [copyPlain(m.event)] : []));
  }

  /** Every message dead-lettered by any group, oldest first: the dead-letter topic. */
  deadLetters(): DeadLetter[] {
    return this.#deadLetters.map((letter) => copyPlain(letter));
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }

  #access(): BusAccess {
    return {
      log: this.#log,
      group: (name) => {
        let group = this.#groups.get(name);
        if (!group) {
          group = { offset: 0, owner: null };
          this.#groups.set(name, group);
        }
        return group;
      },
      deadLetter: (letter) => void this.#deadLetters.push(letter),
      waitForChange: () => new Promise<void>((resolve) => this.#waiters.add(resolve)),
      wake: () => this.#wake(),
    };
  }
}

interface BusAccess {
  log: Message[];
  group(name: string): Group;
  deadLetter(letter: DeadLetter): void;
  waitForChange(): Promise<void>;
  wake(): void;
}

/** One consumer of a `MemoryEventBus` group (see `MemoryEventBus.consumer`). */
class MemoryEventConsumer implements EventConsumer {
  readonly #bus: BusAccess;
  readonly #groupName: string;
  #running = false;
  #loop: Promise<void> | null = null;
  #crash: unknown = null;
  /** Resolves when `stop` is called: cuts a backoff short. */
  #stopSignal: Promise<void> = Promise.resolve();
  #signalStop: () => void = () => {};

  constructor(bus: BusAccess, group: string) {
    this.#bus = bus;
    this.#groupName = group;
  }

  async start(input: {
    types: DomainEventType[];
    handler: EventHandler;
    retry?: RetryPolicy;
  }): Promise<void> {
    const { types, retry } = validate('consumer start', StartInput, input);
    if (this.#running) throw new ConfigurationError(`consumer of group ${this.#groupName} already started`);
    this.#running = true;
    this.#stopSignal = new Promise((resolve) => {
      this.#signalStop = resolve;
    });
    this.#loop = this.#run(new Set(types), input.handler, retry ?? DEFAULT_RETRY_POLICY).catch((error) => {
      this.#crash = error;
    });
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.#signalStop();
    this.#bus.wake();
    await this.#loop;
    const group = this.#bus.group(this.#groupName);
    if (group.owner === this) group.owner = null;
    this.#bus.wake(); // a standing-by consumer of the group takes over
    if (this.#crash) throw this.#crash;
  }

  async lag(): Promise<number> {
    return this.#bus.log.length - this.#bus.group(this.#groupName).offset;
  }

  async #run(types: Set<string>, handler: EventHandler, retry: RetryPolicy): Promise<void> {
    while (this.#running) {
      const group = this.#bus.group(this.#groupName);
      if (group.owner === null) group.owner = this;
      const message = this.#bus.log[group.offset];
      if (group.owner !== this || !message) {
        await this.#bus.waitForChange();
        continue;
      }
      const source = `memory:${this.#groupName}:${group.offset}`;
      const done = await this.#deliver(message, source, types, handler, retry);
      if (done) group.offset += 1; // commit only once the handler's work is done
    }
  }

  /** True when the message is finished with (handled, skipped or dead-lettered). */
  async #deliver(
    message: Message,
    source: string,
    types: Set<string>,
    handler: EventHandler,
    retry: RetryPolicy,
  ): Promise<boolean> {
    if (!message.event) {
      const error = { code: 'POISON_MESSAGE', message: message.problem ?? 'not a domain event' };
      await this.#deadLetter(
        handler,
        { event: null, raw: rawOf(message), error, attempts: 0, source },
        retry,
      );
      return true;
    }
    if (!types.has(message.event.type)) return true;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await handler.handle(copyPlain(message.event), { attempt });
        return true;
      } catch (error) {
        if (attempt >= retry.maxAttempts) {
          const letter = {
            event: message.event,
            raw: rawOf(message),
            error: describe(error),
            attempts: attempt,
            source,
          };
          await this.#deadLetter(handler, letter, retry);
          return true;
        }
        if (!(await this.#sleep(retryDelayMs(retry, attempt)))) return false;
      }
    }
  }

  async #deadLetter(handler: EventHandler, letter: DeadLetter, retry: RetryPolicy): Promise<void> {
    this.#bus.deadLetter(copyPlain(letter));
    if (!handler.onDeadLetter) return;
    for (let attempt = 1; ; attempt += 1) {
      try {
        await handler.onDeadLetter(copyPlain(letter));
        return;
      } catch {
        // The letter is already on the dead-letter log (`deadLetters()`): the hook is retried, then
        // given up on so one broken hook cannot block the group forever.
        if (attempt >= retry.maxAttempts || !(await this.#sleep(retryDelayMs(retry, attempt)))) return;
      }
    }
  }

  /** Waits `ms`; false when the consumer was stopped meanwhile. */
  async #sleep(ms: number): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([new Promise((resolve) => (timer = setTimeout(resolve, ms))), this.#stopSignal]);
    clearTimeout(timer);
    return this.#running;
  }
}

/** A message's body: the raw one it came with, or its event written out (once). */
function rawOf(message: Message): string {
  message.raw ??= JSON.stringify(message.event);
  return message.raw;
}

function describe(error: unknown): { code: string; message: string } {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { code: typeof code === 'string' ? code : 'HANDLER_FAILED', message: error.message };
  }
  return { code: 'HANDLER_FAILED', message: String(error) };
}
