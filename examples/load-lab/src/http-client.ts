import http from 'node:http';

/** An answer from the app: status, parsed JSON body (null when empty) and the session cookie. */
export interface HttpAnswer {
  status: number;
  body: unknown;
  setCookie: string | null;
}

/** One event read from a Server-Sent Events stream. */
export interface SseEvent {
  event: string;
  data: unknown;
}

/** An open SSE stream: `close()` ends it from the client side; `done` settles when it ends. */
export interface SseStream {
  close(): void;
  readonly done: Promise<void>;
}

/**
 * Refuses any target that is not this machine: the lab generates thousands of requests a second
 * and must never be pointed at someone else's server by a typo.
 */
export function assertLoopback(baseUrl: string): URL {
  const url = new URL(baseUrl);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
  if (!loopback || url.protocol !== 'http:') {
    throw new Error(
      `refusing target ${baseUrl}: the load lab only drives http:// on loopback (127.0.0.0/8, ::1)`,
    );
  }
  return url;
}

/**
 * HTTP over node:http with separate connection pools: short requests share keep-alive agents
 * (one per loopback source address), SSE streams get agents of their own so a held stream never
 * blocks a request. Several source addresses (127.0.0.1, 127.0.0.2, …) multiply the ephemeral
 * ports available, which is what tens of thousands of connections on one machine need.
 */
export class LabHttpClient {
  readonly #url: URL;
  readonly #requestAgents: http.Agent[];
  readonly #streamAgents: http.Agent[];
  #next = 0;

  constructor(
    baseUrl: string,
    options: {
      sourceAddresses?: number;
      requestSockets?: number;
      timeoutMs?: number;
      /** false → one connection per request (a client without keep-alive); default true. */
      keepAlive?: boolean;
    } = {},
  ) {
    this.#url = assertLoopback(baseUrl);
    const sources = Math.max(1, options.sourceAddresses ?? 1);
    const ipv4 = this.#url.hostname !== '::1' && this.#url.hostname !== '[::1]';
    const address = (i: number) => (ipv4 ? { localAddress: `127.0.0.${1 + i}` } : {});
    this.#requestAgents = Array.from(
      { length: sources },
      (_, i) =>
        new http.Agent({
          keepAlive: options.keepAlive ?? true,
          maxSockets: Math.ceil((options.requestSockets ?? 256) / sources),
          ...address(i),
        }),
    );
    this.#streamAgents = Array.from(
      { length: sources },
      (_, i) => new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY, ...address(i) }),
    );
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** Called with the time a new connection took to establish (keep-alive reuse is not counted). */
  onConnect: ((ms: number) => void) | null = null;

  /** How long one request may take before it fails with code TIMEOUT. */
  readonly timeoutMs: number;

  /** Sends one request; rejects only on network failure or timeout (any status resolves). */
  request(
    method: string,
    path: string,
    options: { body?: unknown; cookie?: string; headers?: Record<string, string>; source?: number } = {},
  ): Promise<HttpAnswer> {
    const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
    const agent = this.#pick(this.#requestAgents, options.source);
    return new Promise((resolve, reject) => {
      const req = http.request(
        {
          host: this.#url.hostname,
          port: this.#url.port || 80,
          path,
          method,
          agent,
          timeout: this.timeoutMs,
          headers: {
            accept: 'application/json',
            ...(payload === undefined
              ? {}
              : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }),
            ...(options.cookie ? { cookie: options.cookie } : {}),
            ...options.headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            let body: unknown = null;
            try {
              body = text ? JSON.parse(text) : null;
            } catch {
              body = { text };
            }
            const cookie = res.headers['set-cookie']?.[0]?.split(';')[0] ?? null;
            resolve({ status: res.statusCode ?? 0, body, setCookie: cookie });
          });
        },
      );
      req.on('socket', (socket) => {
        if (!socket.connecting || !this.onConnect) return;
        const started = performance.now();
        socket.once('connect', () => this.onConnect?.(performance.now() - started));
      });
      req.on('timeout', () =>
        req.destroy(Object.assign(new Error('request timed out'), { code: 'TIMEOUT' })),
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Opens an SSE stream and calls `onEvent` for every event. `onOpen` gets the status once the
   * headers arrive (a non-200 answer ends the stream at once).
   */
  stream(
    path: string,
    options: {
      cookie?: string;
      source?: number;
      /** The status once the headers arrive; 0 and the error's code when the connection failed. */
      onOpen?: (status: number, code?: string) => void;
      onEvent: (event: SseEvent) => void;
    },
  ): SseStream {
    let req: http.ClientRequest | null = null;
    let closed = false;
    const done = new Promise<void>((resolve) => {
      req = http.request(
        {
          host: this.#url.hostname,
          port: this.#url.port || 80,
          path,
          method: 'GET',
          agent: this.#pick(this.#streamAgents, options.source),
          headers: { accept: 'text/event-stream', ...(options.cookie ? { cookie: options.cookie } : {}) },
        },
        (res) => {
          options.onOpen?.(res.statusCode ?? 0);
          if (res.statusCode !== 200) {
            res.resume();
            res.on('end', resolve);
            return;
          }
          res.setEncoding('utf8');
          let buffer = '';
          res.on('data', (chunk: string) => {
            buffer += chunk;
            for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
              const block = buffer.slice(0, end);
              buffer = buffer.slice(end + 2);
              const event = parseSseBlock(block);
              if (event && !closed) options.onEvent(event);
            }
          });
          res.on('end', resolve);
          res.on('error', () => resolve());
          res.on('close', resolve);
        },
      );
      req.on('socket', (socket) => {
        if (!socket.connecting || !this.onConnect) return;
        const started = performance.now();
        socket.once('connect', () => this.onConnect?.(performance.now() - started));
      });
      req.on('error', (error: NodeJS.ErrnoException) => {
        if (!closed) options.onOpen?.(0, error.code ?? `NETWORK: ${error.message.slice(0, 60)}`);
        resolve();
      });
      req.end();
    });
    return {
      done,
      close() {
        if (closed) return;
        closed = true;
        req?.destroy();
      },
    };
  }

  /** Closes every pooled socket. */
  close(): void {
    for (const agent of [...this.#requestAgents, ...this.#streamAgents]) agent.destroy();
  }

  #pick(agents: http.Agent[], source: number | undefined): http.Agent {
    if (source !== undefined) return agents[source % agents.length]!;
    this.#next = (this.#next + 1) % agents.length;
    return agents[this.#next]!;
  }
}

/** Parses one SSE block (`event:` and `data:` lines); comments and `retry:` alone give null. */
export function parseSseBlock(block: string): SseEvent | null {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) event = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (data.length === 0) return null;
  const text = data.join('\n');
  try {
    return { event, data: JSON.parse(text) };
  } catch {
    return { event, data: text };
  }
}
