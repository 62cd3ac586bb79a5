/** How the micro-batcher groups calls into one request. */
export interface MicroBatcherOptions {
  /** How long the first item of a batch waits for company, in ms. 0 groups the calls of one tick. */
  lingerMs: number;
  /** A batch is sent at once when it holds this many items… */
  maxBatchCount: number;
  /** …or this many bytes. */
  maxBatchBytes: number;
  /**
   * Batches sent at the same time. 1 keeps batches in order (and kafkajs's idempotent producer
   * safe); while one is in flight the next one fills up, as Kafka's own producer does.
   */
  maxInFlight: number;
}

interface Pending<T> {
  item: T;
  bytes: number;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * What sending a batch gave, item by item (same order): `undefined` for a delivered item, the
 * error for one that was not.
 */
export type BatchOutcome = Array<unknown>;

/**
 * Groups concurrent `add` calls into batches — the `linger.ms`/`batch.size` kafkajs lacks. Each
 * caller's promise settles with its own item's outcome; items leave in the order they were added.
 */
export class MicroBatcher<T> {
  private buffer: Pending<T>[] = [];
  private bufferBytes = 0;
  private lingerTimer: NodeJS.Timeout | undefined;
  private lingerExpired = false;
  private inFlightBatches = 0;
  private inFlightItems = 0;
  private draining = false;
  private idleWaiters: Array<() => void> = [];
  private readonly options: MicroBatcherOptions;
  private readonly send: (items: T[]) => Promise<BatchOutcome>;
  private readonly sizeOf: (item: T) => number;

  /**
   * @param send delivers one batch and says how each item fared; a rejection fails every item.
   * @param sizeOf the bytes an item adds to a batch.
   */
  constructor(
    options: MicroBatcherOptions,
    send: (items: T[]) => Promise<BatchOutcome>,
    sizeOf: (item: T) => number,
  ) {
    this.options = options;
    this.send = send;
    this.sizeOf = sizeOf;
  }

  /** Items waiting for a batch, plus those in a batch not yet answered. */
  get pending(): number {
    return this.buffer.length + this.inFlightItems;
  }

  /** Queues one item; settles when the batch carrying it has been sent, or has failed. */
  add(item: T): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const bytes = this.sizeOf(item);
      this.buffer.push({ item, bytes, resolve, reject });
      this.bufferBytes += bytes;
      if (this.buffer.length === 1 && !this.draining) this.startLinger();
      this.pump();
    });
  }

  /** Sends everything buffered now, without waiting for the linger, and waits until all is answered. */
  async flush(): Promise<void> {
    this.draining = true;
    this.clearLinger();
    this.pump();
    if (this.pending > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    this.draining = false;
  }

  private startLinger(): void {
    this.lingerExpired = false;
    if (this.options.lingerMs === 0) {
      this.lingerTimer = setImmediate(() => this.expireLinger()) as unknown as NodeJS.Timeout;
    } else {
      this.lingerTimer = setTimeout(() => this.expireLinger(), this.options.lingerMs);
    }
  }

  private expireLinger(): void {
    this.lingerTimer = undefined;
    this.lingerExpired = true;
    this.pump();
  }

  private clearLinger(): void {
    if (this.lingerTimer !== undefined) {
      clearTimeout(this.lingerTimer);
      clearImmediate(this.lingerTimer as unknown as NodeJS.Immediate);
      this.lingerTimer = undefined;
    }
  }

  private ready(): boolean {
    return (
      this.buffer.length > 0 &&
      (this.draining ||
        this.lingerExpired ||
        this.buffer.length >= this.options.maxBatchCount ||
        this.bufferBytes >= this.options.maxBatchBytes)
    );
  }

  private pump(): void {
    while (this.inFlightBatches < this.options.maxInFlight && this.ready()) {
      const batch = this.takeBatch();
      this.inFlightBatches += 1;
      this.inFlightItems += batch.length;
      this.send(batch.map((p) => p.item)).then(
        (outcome) =>
          this.settle(batch, (p, i) => {
            const error = outcome[i];
            if (error === undefined) p.resolve();
            else p.reject(error);
          }),
        (error: unknown) => this.settle(batch, (p) => p.reject(error)),
      );
    }
    if (this.pending === 0) {
      for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** The oldest items up to the count and byte limits (at least one, however large). */
  private takeBatch(): Pending<T>[] {
    let count = 0;
    let bytes = 0;
    while (
      count < this.buffer.length &&
      count < this.options.maxBatchCount &&
      (count === 0 || bytes + (this.buffer[count]?.bytes ?? 0) <= this.options.maxBatchBytes)
    ) {
      bytes += this.buffer[count]?.bytes ?? 0;
      count += 1;
    }
    const batch = this.buffer.splice(0, count);
    this.bufferBytes -= bytes;
    if (this.buffer.length === 0) {
      this.clearLinger();
      this.lingerExpired = false;
    }
    return batch;
  }

  private settle(batch: Pending<T>[], outcome: (p: Pending<T>, index: number) => void): void {
    this.inFlightBatches -= 1;
    this.inFlightItems -= batch.length;
    batch.forEach(outcome);
    this.pump();
  }
}
