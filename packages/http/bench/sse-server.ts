/** The SSE memory benchmark's server: reports its memory (after GC) when asked over IPC. */
import { benchApp } from './bench-app';

const { app, api } = await benchApp({ streamsPerAddress: 1_000 });
const { port } = app.server.address() as { port: number };
process.send?.({ port });
process.on('message', () => {
  (globalThis as { gc?: () => void }).gc?.();
  const { heapUsed, rss } = process.memoryUsage();
  process.send?.({ heap: heapUsed, rss, streams: api.streams });
});
