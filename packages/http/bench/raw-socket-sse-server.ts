/**
 * What an idle event stream costs without an HTTP server: a plain `net` server that answers the
 * stream's request with the same head and `retry:` frame on the raw socket and holds it. Beside
 * `bare-sse-server.ts` (node:http alone), it shows how much of a stream's memory is node:http's
 * per-connection objects rather than the socket's. Reports its memory (after GC) over IPC.
 */
import { createServer, type Socket } from 'node:net';
import { listenAndTell, memoryAfterGc } from './server-process';

const HEAD = Buffer.from(
  'HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\nCache-Control: no-store\r\nTransfer-Encoding: chunked\r\n\r\n',
);
const RETRY = Buffer.from('f\r\nretry: 2000\n\n\r\n');
const held = new Set<Socket>();
const server = createServer((socket) => {
  // the request is not parsed: the benchmark's client sends one GET and reads the stream
  socket.once('data', () => {
    socket.write(HEAD);
    socket.write(RETRY);
  });
  held.add(socket);
  socket.once('close', () => held.delete(socket));
});
listenAndTell(server);
process.on('message', () => process.send?.(memoryAfterGc(held.size)));
