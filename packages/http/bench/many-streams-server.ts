/**
 * The server of `many-streams.ts`: the package on node:http (`nodeHandler`, `hardenServer`) in its
 * own process, its caps set for the run from the environment (MANY_PER_ADDRESS streams and
 * connections per source address, MANY_TOTAL in all). It answers its figures over IPC when asked.
 */
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getHeapStatistics } from 'node:v8';
import { hardenServer, nodeHandler } from '../src';
import { benchApp } from './bench-app';

const perAddress = Number(process.env.MANY_PER_ADDRESS ?? 1_000);
const total = Number(process.env.MANY_TOTAL ?? 50_000);
const { api } = await benchApp({
  streamsPerAddress: perAddress,
  streamsTotal: total,
  memory: true,
  listen: false,
  buyers: 0,
});
const server = hardenServer(createServer(nodeHandler(api, { basePath: '/api' })), {
  maxConnections: total + 1_000,
  maxConnectionsPerAddress: perAddress + 10,
});
server.listen({ port: 0, host: '127.0.0.1', backlog: 4_096 });
await once(server, 'listening');
process.send?.({ port: (server.address() as AddressInfo).port, openFiles: openFilesLimit() });
process.on('message', () => {
  (globalThis as { gc?: () => void }).gc?.();
  // rss reads /proc, which needs a free file descriptor: none is left at the limit
  let rss = 0;
  try {
    rss = process.memoryUsage.rss();
  } catch {}
  process.send?.({ heap: getHeapStatistics().used_heap_size, rss, streams: api.streams });
});

/** This process's soft limit of open files (Linux: /proc/self/limits). */
export function openFilesLimit(): number {
  const line = readFileSync('/proc/self/limits', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Max open files'));
  return Number(line?.split(/\s+/)[3] ?? 0);
}
