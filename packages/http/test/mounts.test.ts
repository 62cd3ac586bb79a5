import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { type AddressInfo, connect, Socket } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { expressMiddleware, fastifyPlugin, hardenServer, nodeHandler } from '../src';
import { startApi, type TestApi } from './support';

describe('the framework mounts', () => {
  let t: TestApi;
  const closers: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    await t?.close();
  });
  /** Waits for a node:http server listening on loopback, closed after the test; answers its URL. */
  async function listening(server: Server): Promise<string> {
    await once(server, 'listening');
    closers.push(async () => {
      server.closeAllConnections();
      server.close();
    });
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  it('Express: serves the API under its mount path, reads bodies itself, and leaves other routes to the app', async () => {
    t = await startApi();
    const app = express();
    app.use('/api', expressMiddleware(t.api));
    app.get('/api/health', (_req, res) => void res.json({ ok: true }));
    const server: Server = app.listen(0, '127.0.0.1');
    const base = await listening(server);
    const joined = await fetch(`${base}/api/sales/ga/queue`, {
      method: 'POST',
      headers: { 'x-test-user': 'ana', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(joined.status).toBe(201);
    expect(await (await fetch(`${base}/api/health`)).json()).toEqual({ ok: true });
    const tooBig = await fetch(`${base}/api/sales/ga/queue`, {
      method: 'POST',
      headers: { 'x-test-user': 'ben', 'content-type': 'application/json' },
      body: JSON.stringify({ invitation: 'x'.repeat(10_000) }),
    });
    expect(tooBig.status).toBe(413);
  });

  it('Fastify: serves the API under the plugin prefix without Fastify parsing the bodies', async () => {
    t = await startApi();
    const app = Fastify();
    await app.register(fastifyPlugin(t.api), { prefix: '/api' });
    await app.listen({ port: 0, host: '127.0.0.1' });
    closers.push(() => app.close());
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    const joined = await fetch(`${base}/api/sales/ga/queue`, {
      method: 'POST',
      headers: { 'x-test-user': 'ana', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(joined.status).toBe(201);
    const bad = await fetch(`${base}/api/sales/ga/queue`, {
      method: 'POST',
      headers: { 'x-test-user': 'ben', 'content-type': 'application/json' },
      body: '{not json',
    });
    expect(bad.status).toBe(400);
    expect((await fetch(`${base}/api/nope`)).status).toBe(404);
  });

  it('node:http: an open event stream keeps its request without the header copies, and with its full path', async () => {
    t = await startApi();
    const requests: IncomingMessage[] = [];
    const serve = nodeHandler(t.api, { basePath: '/api' });
    const server = createServer((req, res) => {
      requests.push(req);
      serve(req, res);
    });
    server.listen(0, '127.0.0.1');
    const base = await listening(server);
    const stream = await fetch(`${base}/api/sales/ga/seats/stream`, { headers: { 'x-test-user': 'ana' } });
    expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
    expect(new TextDecoder().decode((await reader.read()).value)).toContain('retry:');
    await expect.poll(() => requests[0]?.url).toBe('/api/sales/ga/seats/stream');
    // node:http holds the request while the stream is open: its header copies are let go
    expect(requests[0]?.rawHeaders).toEqual([]);
    expect(requests[0]?.headers).toEqual({});
    await reader.cancel();
    // an ordinary answer's request keeps its headers, and its full path too
    expect((await fetch(`${base}/api/sales`)).status).toBe(200);
    await expect.poll(() => requests[1]?.url).toBe('/api/sales');
    expect(requests[1]?.headers.host).toBe(base.slice('http://'.length));
  });

  it('hardenServer: a peer over its connection cap is cut at once, and a closed connection frees its place', async () => {
    const server = hardenServer(
      createServer((_req, res) => void res.end('ok')),
      { maxConnectionsPerAddress: 2 },
    );
    server.listen(0, '127.0.0.1');
    const port = Number(new URL(await listening(server)).port);
    // a connection the server keeps answers a request; one it cut ends without a byte
    const ask = (socket: Socket) =>
      new Promise<string>((resolve) => {
        let text = '';
        socket.on('data', (chunk) => {
          text += chunk;
          if (text.endsWith('ok')) resolve(text);
        });
        socket.on('close', () => resolve(text));
        socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
      });
    const dial = async () => {
      const socket = connect(port, '127.0.0.1');
      await once(socket, 'connect');
      return socket;
    };
    const extra: Socket[] = [];
    const first = await dial();
    const second = await dial();
    expect(await ask(first)).toMatch(/^HTTP\/1\.1 200/);
    expect(await ask(second)).toMatch(/^HTTP\/1\.1 200/);
    const third = await dial();
    expect(await ask(third)).toBe('');
    // the first leaves: its place is free again, for one more and no more
    first.destroy();
    await expect
      .poll(async () => {
        const next = await dial();
        const answer = await ask(next);
        if (answer === '') return 'cut';
        extra.push(next);
        return 'served';
      })
      .toBe('served');
    expect(await ask(await dial())).toBe('');
    second.destroy();
    for (const socket of extra) socket.destroy();
  });

  it('node:http: open event streams hand their sockets the plain listener methods, and still beat and close', async () => {
    t = await startApi({ http: { streams: { keepAliveMs: 50 } } });
    const responses: ServerResponse[] = [];
    const serve = nodeHandler(t.api, { basePath: '/api' });
    // hardened as the README sets it up: its close listener on every socket, besides node:http's
    const server = hardenServer(
      createServer((req, res) => {
        responses.push(res);
        serve(req, res);
      }),
      { maxConnectionsPerAddress: 2 },
    );
    server.listen(0, '127.0.0.1');
    const base = await listening(server);
    const open = async (user: string) => {
      const stream = await fetch(`${base}/api/sales/ga/seats/stream`, { headers: { 'x-test-user': user } });
      expect(stream.headers.get('content-type')).toMatch(/^text\/event-stream/);
      return (stream.body as ReadableStream<Uint8Array>).getReader();
    };
    const readers = [await open('ana'), await open('ben')];
    await expect.poll(() => t.api.streams).toBe(2);
    for (const res of responses) {
      expect(res.headersSent).toBe(true);
      // node:http's per-connection wrappers are gone: the socket's own methods are Socket's
      expect(res.socket?.on).toBe(Socket.prototype.on);
      expect(res.socket?.addListener).toBe(Socket.prototype.addListener);
      expect(res.socket?.prependListener).toBe(Socket.prototype.prependListener);
      // and its response no longer holds the function node:http bound for it alone
      expect((res as unknown as { _onPendingData: () => void })._onPendingData.name).not.toMatch(/^bound /);
    }
    // both streams still carry the keep-alive comment, framed as chunks the client decodes
    for (const reader of readers) {
      let text = '';
      while (!text.includes(': keep-alive')) text += new TextDecoder().decode((await reader.read()).value);
      expect(text).toContain('retry: 2000');
    }
    // a client leaving closes its stream, and only its own
    await readers[0]?.cancel();
    await expect.poll(() => t.api.streams).toBe(1);
    await readers[1]?.cancel();
    await expect.poll(() => t.api.streams).toBe(0);
    // every socket's close listeners ran: the address has both its places again
    const again = [await open('ana'), await open('ben')];
    await expect.poll(() => t.api.streams).toBe(2);
    for (const reader of again) await reader.cancel();
  });
});
