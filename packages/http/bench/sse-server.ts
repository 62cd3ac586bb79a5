/** The SSE memory benchmark's server: reports its memory (after GC) when asked over IPC. */
import { writeHeapSnapshot } from 'node:v8';
import { benchApp } from './bench-app';
import { memoryAfterGc } from './server-process';

const { app, api } = await benchApp({ streamsPerAddress: 1_000, memory: true }); // a stream's memory is the process's, not the store's
const { port } = app.server.address() as { port: number };
process.send?.({ port });
process.on('message', (message) => {
  // 'snapshot': a heap snapshot, to see what a stream holds (its path is the answer)
  if (message === 'snapshot') return void process.send?.(writeHeapSnapshot());
  process.send?.(memoryAfterGc(api.streams));
});
