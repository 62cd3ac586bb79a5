import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A round-robin front on loopback for several app instances. */
export interface RoundRobinProxy {
  /** `http://127.0.0.1:<port>`: where the buyers go. */
  readonly url: string;
  /** Requests (SSE streams included) sent to each upstream so far, by its index. */
  readonly forwarded: number[];
  /** Requests whose instance refused, reset or went away: the client's connection was cut. */
  readonly upstreamErrors: number;
  close(): Promise<void>;
}

/**
 * A small round-robin HTTP proxy in the lab's process: each request goes to the next live
 * upstream (`live(i)` false leaves instance i out, e.g. once it has been SIGKILLed). Answers are
 * piped as they arrive, so SSE streams flow through event by event; a client closing its stream
 * closes the upstream one. An upstream that refuses, resets or dies cuts the client's connection,
 * as a direct connection would have been cut. Each forwarded request opens its own upstream connection: with
 * pooled (keep-alive) upstream sockets a few requests a run were answered a bare HTTP 400 by the
 * app (a parse error on a reused socket, not diagnosed further), which a direct run never shows.
 */
export async function startRoundRobinProxy(
  upstreams: string[],
  live: (index: number) => boolean = () => true,
): Promise<RoundRobinProxy> {
  const targets = upstreams.map((u) => new URL(u));
  const agent = new http.Agent({ keepAlive: false, maxSockets: Number.POSITIVE_INFINITY });
  const forwarded = targets.map(() => 0);
  let upstreamErrors = 0;
  let turn = 0;
  const next = (): number | null => {
    for (let tried = 0; tried < targets.length; tried++) {
      const index = turn++ % targets.length;
      if (live(index)) return index;
    }
    return null;
  };
  const server = http.createServer((req, res) => {
    const index = next();
    if (index === null) {
      res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'NO_UPSTREAM', message: 'no live instance' } }));
      return;
    }
    forwarded[index]! += 1;
    const target = targets[index]!;
    const out = http.request(
      {
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: req.headers,
        agent,
      },
      (up) => {
        // hop-by-hop headers stay on their hop (RFC 9110 §7.6.1): the app's `Keep-Alive:
        // timeout=65`, passed on, would have the client keep idle connections this proxy closes
        const { connection: _c, 'keep-alive': _k, ...headers } = up.headers;
        res.writeHead(up.statusCode ?? 502, headers);
        // SSE: write each chunk as it comes (no buffering in between)
        res.flushHeaders();
        up.pipe(res);
        up.on('error', () => res.destroy());
      },
    );
    // the instance refused, reset or died: the buyer's connection is cut, as a direct connection
    // to that instance would have been (the lab's client retries a reset before any answer, as it
    // does without the proxy; a 502 instead would turn the app's full accept queue into answers)
    out.on('error', () => {
      upstreamErrors++;
      res.destroy();
    });
    // the client went away (a closed SSE stream, a timeout): let go of the upstream request too
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  });
  // held SSE streams and slow answers under load must not be cut by the proxy's own timers
  server.requestTimeout = 0;
  server.headersTimeout = 120_000;
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    forwarded,
    get upstreamErrors() {
      return upstreamErrors;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        agent.destroy();
        server.close(() => resolve());
      }),
  };
}
