/**
 * What a benchmark's server, run in its own process (`fork`), tells the benchmark over IPC: the
 * port it listens on, and its memory when asked.
 */
import type { AddressInfo, Server } from 'node:net';

/** Listens on a free loopback port and sends it to the parent (`{ port }`). */
export function listenAndTell(server: Server): void {
  server.listen(0, '127.0.0.1', () => process.send?.({ port: (server.address() as AddressInfo).port }));
}

/** The process's memory after a full GC (run with `--expose-gc`), and the streams it holds. */
export function memoryAfterGc(streams: number): { heap: number; rss: number; streams: number } {
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  return { heap: heapUsed, rss, streams };
}
