import type { RunningApp } from '../../src/server';
import type { Client } from './harness';

/** One Server-Sent Event: its name and its parsed data. */
export interface StreamEvent {
  event: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests check pushed views field by field with expect
  data: any;
}

/**
 * An open SSE stream read in the background: every event is kept, and `next` waits (with a
 * generous bound) for the first event, from the start of the stream, that satisfies a condition.
 */
export class EventStream {
  readonly events: StreamEvent[] = [];
  readonly #waiters = new Set<() => void>();
  #done = false;

  private constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>) {
    void this.#read();
  }

  /** Opens `path` with the client's session cookie; throws unless it answers an event stream. */
  static async open(client: Client, path: string): Promise<EventStream> {
    const cookie = [...client.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
    const res = await fetch(client.baseUrl + path, { headers: { cookie, accept: 'text/event-stream' } });
    if (!res.headers.get('content-type')?.startsWith('text/event-stream') || !res.body) {
      throw new Error(`no event stream at ${path}: ${res.status} ${await res.text()}`);
    }
    return new EventStream(res.body.getReader());
  }

  /** The first event (already received or still to come) for which `matches` is true. */
  async next(matches: (event: StreamEvent) => boolean, timeoutMs = 15_000): Promise<StreamEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find(matches);
      if (found) return found;
      if (this.#done)
        throw new Error(`the stream ended without the event; got ${JSON.stringify(this.events)}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no such event in ${timeoutMs} ms; got ${JSON.stringify(this.events)}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(() => done());
      });
    }
  }

  close(): void {
    this.#done = true;
    void this.reader.cancel().catch(() => undefined);
    this.#wake();
  }

  async #read(): Promise<void> {
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await this.reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && event !== 'ping' && data !== undefined) {
            this.events.push({ event, data: JSON.parse(data) });
            this.#wake();
          }
          end = buffer.indexOf('\n\n');
        }
      }
    } catch {
      // cancelled, or the server went away: the stream is over either way
    }
    this.#done = true;
    this.#wake();
  }

  #wake(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}

/**
 * Holds the payment of the given buyers' reservations until `open()`: their holds stay HELD (the
 * worker waits on the charge), so a test can release them or let them expire deterministically.
 * It wraps the app's own payment simulator; every other charge goes through untouched.
 */
export function holdPayments(app: RunningApp): { block(userId: string): void; open(): void } {
  const payments = app.platform.payments;
  const charge = payments.charge.bind(payments);
  const blocked = new Set<string>();
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  payments.charge = async (input) => {
    if (blocked.has(input.userId)) await opened;
    return charge(input);
  };
  return { block: (userId) => blocked.add(userId), open: () => open() };
}

/** Polls `probe` until it answers true (every 25 ms, up to `timeoutMs`). */
export async function waitUntil(
  probe: () => Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}
