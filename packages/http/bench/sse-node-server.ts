/**
 * The SSE memory benchmark's server on node:http alone (`nodeHandler`, no framework): what the
 * package's streams cost over bare node:http, without Fastify's per-request objects.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeHeapSnapshot } from 'node:v8';
import { hardenServer, nodeHandler } from '../src';
import { benchApp } from './bench-app';

const { api } = await benchApp({ streamsPerAddress: 1_000, memory: true, listen: false });
const server = createServer(nodeHandler(api, { basePath: '/api' }));
// BENCH_HARDEN=1: the server as the README sets it up, with hardenServer's caps (its per-connection count)
if (process.env.BENCH_HARDEN === '1') hardenServer(server, { maxConnectionsPerAddress: 1_000 });
server.listen(0, '127.0.0.1');
await once(server, 'listening');
process.send?.({ port: (server.address() as AddressInfo).port });
process.on('message', (message: { snap?: string } | string) => {
  (globalThis as { gc?: () => void }).gc?.();
  // a heap snapshot when asked (the breakdown of a stream's memory by constructor)
  if (typeof message === 'object' && message.snap) writeHeapSnapshot(message.snap);
  const { heapUsed, rss } = process.memoryUsage();
  process.send?.({ heap: heapUsed, rss, streams: api.streams });
});
