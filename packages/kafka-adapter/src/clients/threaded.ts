import { Worker } from 'node:worker_threads';
import type { KafkaConnection } from '../connection';
import type { KafkaClientName, Outgoing, ProducerDriver, ProducerSettings } from './types';

/** What the publisher thread is started with (see `publisher-thread.ts`). */
export interface ProducerThreadData {
  client: KafkaClientName;
  connection: KafkaConnection;
  settings: ProducerSettings;
}

/** A call to the thread's producer, and its answer. */
export type ProducerCall =
  | { id: number; op: 'connect' | 'close' }
  | { id: number; op: 'send' | 'assign'; outgoing: Outgoing[] }
  /** A batch of text messages packed into one string (see {@link packOutgoing}). */
  | { id: number; op: 'sendPacked'; packed: string };
export type ProducerAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: unknown };

/**
 * A producer on a worker thread: the client's encoding, checksums and socket work (most of a
 * publish's CPU) run on the thread's own event loop, beside the host's. Calls and answers are
 * messages: one per batch of the micro-batcher, not per event.
 */
export class ThreadedProducer implements ProducerDriver {
  private readonly worker: Worker;
  private readonly waiting = new Map<
    number,
    { resolve: (v: unknown) => void; reject: (e: unknown) => void }
  >();
  private nextId = 0;
  private failure: unknown;

  constructor(workerUrl: URL, data: ProducerThreadData) {
    this.worker = new Worker(workerUrl, { workerData: data });
    this.worker.unref();
    this.worker.on('message', (answer: ProducerAnswer) => {
      const call = this.waiting.get(answer.id);
      if (!call) return;
      this.waiting.delete(answer.id);
      if (answer.ok) call.resolve(answer.value);
      else call.reject(answer.error);
    });
    const fail = (error: unknown) => {
      this.failure = error;
      for (const call of this.waiting.values()) call.reject(error);
      this.waiting.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => fail(new Error(`the publisher thread exited (${code})`)));
  }

  connect(): Promise<void> {
    return this.call({ id: 0, op: 'connect' }) as Promise<void>;
  }

  assign(outgoing: Outgoing[]): Promise<Outgoing[]> {
    return this.call({ id: 0, op: 'assign', outgoing }) as Promise<Outgoing[]>;
  }

  async send(outgoing: Outgoing[]): Promise<unknown[]> {
    const packed = packOutgoing(outgoing);
    const outcome = (await this.call(
      packed === undefined ? { id: 0, op: 'send', outgoing } : { id: 0, op: 'sendPacked', packed },
    )) as unknown[] | null;
    // null: every message acknowledged (the common answer, kept small)
    return outcome ?? new Array(outgoing.length).fill(undefined);
  }

  async close(): Promise<void> {
    try {
      await this.call({ id: 0, op: 'close' });
    } finally {
      await this.worker.terminate();
    }
  }

  private call(call: ProducerCall): Promise<unknown> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    const id = ++this.nextId;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ ...call, id });
    }).finally(() => {
      if (this.waiting.size === 0) this.worker.unref();
    });
  }
}

/**
 * A batch of messages whose parts are all text, as ONE string of length-prefixed fields: copying
 * one string to the thread costs a fraction of cloning a thousand objects of ten strings each
 * (measured: the structured clone of the objects made the threaded publisher cost ~10 µs more a
 * record). Undefined when a part is a Buffer: that batch is cloned as objects.
 */
export function packOutgoing(outgoing: Outgoing[]): string | undefined {
  let packed = '';
  const field = (text: string) => {
    packed += `${text.length}:${text}`;
  };
  for (const { topic, message } of outgoing) {
    if (typeof message.value !== 'string' || (message.key !== null && typeof message.key !== 'string'))
      return undefined;
    field(topic);
    field(message.key === null ? '-' : `+${message.key}`);
    field(message.value);
    field(message.timestamp ?? '');
    field(message.partition === undefined ? '' : String(message.partition));
    const names = Object.keys(message.headers);
    field(String(names.length));
    for (const name of names) {
      const value = message.headers[name];
      if (typeof value !== 'string') return undefined;
      field(name);
      field(value);
    }
  }
  return packed;
}

/** The messages of {@link packOutgoing}'s string. */
export function unpackOutgoing(packed: string): Outgoing[] {
  const out: Outgoing[] = [];
  let at = 0;
  const field = (): string => {
    const colon = packed.indexOf(':', at);
    const length = Number(packed.slice(at, colon));
    at = colon + 1 + length;
    return packed.slice(colon + 1, at);
  };
  while (at < packed.length) {
    const topic = field();
    const key = field();
    const value = field();
    const timestamp = field();
    const partition = field();
    const count = Number(field());
    const headers: Record<string, string> = {};
    for (let i = 0; i < count; i += 1) {
      const name = field();
      headers[name] = field();
    }
    out.push({
      topic,
      message: {
        key: key === '-' ? null : key.slice(1),
        value,
        headers,
        ...(timestamp === '' ? {} : { timestamp }),
        ...(partition === '' ? {} : { partition: Number(partition) }),
      },
    });
  }
  return out;
}
