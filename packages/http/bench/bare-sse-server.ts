/**
 * The floor of the SSE memory benchmark: node:http alone holding event streams (no SeatRush), in
 * its own process, reporting its memory (after GC) when asked over IPC, as `sse-server.ts` does.
 */
import { createServer, type ServerResponse } from 'node:http';
import { listenAndTell, memoryAfterGc } from './server-process';

const held = new Set<ServerResponse>();
const server = createServer((_request, response) => {
  response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8' });
  response.write('retry: 2000\n\n');
  held.add(response);
  response.once('close', () => held.delete(response));
});
listenAndTell(server);
process.on('message', () => process.send?.(memoryAfterGc(held.size)));
