import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { hardenServer, listenInLanes } from '../src';

/**
 * Opens `count` connections to `port` from a child process while this process's event loop is
 * blocked (execFileSync), so they all wait in the kernel's accept queues when the loop turns again.
 */
function queueConnections(port: number, count: number): void {
  const script = `
    const net = require('node:net');
    let open = 0;
    for (let i = 0; i < ${count}; i++) {
      const s = net.connect(${port}, '127.0.0.1', () => { if (++open === ${count}) process.exit(0); });
      s.on('error', (e) => { console.error(e.message); process.exit(1); });
    }`;
  execFileSync(process.execPath, ['-e', script], { timeout: 10_000 });
}

/** Counts the connections a server takes in on each turn of the event loop. */
function acceptsPerTurn(server: Server): number[] {
  const turns: number[] = [];
  let current = 0;
  server.on('connection', (socket: Socket) => {
    socket.on('error', () => {});
    if (current++ === 0)
      setImmediate(() => {
        turns.push(current);
        current = 0;
      });
  });
  return turns;
}

const until = async (done: () => boolean) => {
  for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 10));
};

describe.skipIf(process.platform !== 'linux')('listenInLanes (SO_REUSEPORT, Linux)', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('node takes one queued connection per turn of its event loop through one listening socket', async () => {
    const server = createServer();
    servers.push(server);
    const turns = acceptsPerTurn(server);
    const port = await listenInLanes(server, { port: 0, host: '127.0.0.1' });
    queueConnections(port, 24);
    await until(() => turns.reduce((a, b) => a + b, 0) === 24);
    // the reason lanes exist: 24 connections waiting took 24 turns
    expect(turns).toEqual(Array(24).fill(1));
  });

  it('takes up to one connection per lane on each turn, all into the one server', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    servers.push(server);
    const turns = acceptsPerTurn(server);
    const port = await listenInLanes(server, { port: 0, host: '127.0.0.1', lanes: 4 });
    queueConnections(port, 24);
    await until(() => turns.reduce((a, b) => a + b, 0) === 24);
    expect(turns.reduce((a, b) => a + b, 0)).toBe(24);
    expect(Math.max(...turns)).toBeGreaterThan(1);
    expect(Math.max(...turns)).toBeLessThanOrEqual(4);
    expect(turns.length).toBeLessThan(24);
    // a lane's connection is served by the server's own request listener
    const answers = await Promise.all(
      Array.from({ length: 16 }, () =>
        fetch(`http://127.0.0.1:${port}/`, { headers: { connection: 'close' } }).then((r) => r.text()),
      ),
    );
    expect(answers).toEqual(Array(16).fill('ok'));
  });

  /** Opens `count` connections to `port` and tells, for each, whether the server cut it within 1 s. */
  async function cutOf(port: number, count: number): Promise<boolean[]> {
    const sockets = await Promise.all(
      Array.from(
        { length: count },
        () =>
          new Promise<{ socket: Socket; cut: Promise<boolean> }>((resolve) => {
            const socket = connect(port, '127.0.0.1', () =>
              resolve({
                socket,
                cut: new Promise((r) => {
                  socket.once('close', () => r(true));
                  setTimeout(() => r(false), 1_000);
                }),
              }),
            );
            socket.on('error', () => {});
          }),
      ),
    );
    const cut = await Promise.all(sockets.map((s) => s.cut));
    for (const { socket } of sockets) socket.destroy();
    return cut;
  }

  it("applies the server's connection handling (hardenServer's per-address cap) to every lane", async () => {
    const server = hardenServer(createServer(), { maxConnectionsPerAddress: 3 });
    servers.push(server);
    const port = await listenInLanes(server, { port: 0, host: '127.0.0.1', lanes: 4 });
    // 3 kept, 9 cut, whichever lane accepted them
    expect((await cutOf(port, 12)).filter(Boolean)).toHaveLength(9);
  });

  it("holds hardenServer's total cap across lanes, not per lane", async () => {
    const server = hardenServer(createServer(), { maxConnections: 5, maxConnectionsPerAddress: 100 });
    servers.push(server);
    const port = await listenInLanes(server, { port: 0, host: '127.0.0.1', lanes: 4 });
    // 5 kept in all (each lane alone would keep up to 5: 20), 7 cut
    expect((await cutOf(port, 12)).filter(Boolean)).toHaveLength(7);
  });

  it('server.close() closes every lane: no connection is taken in afterwards', async () => {
    const server = createServer((_req, res) => res.end('ok'));
    const port = await listenInLanes(server, { port: 0, host: '127.0.0.1', lanes: 4 });
    expect(await (await fetch(`http://127.0.0.1:${port}/`)).text()).toBe('ok');
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
    const refused = await Promise.all(
      Array.from(
        { length: 16 },
        () =>
          new Promise<string>((resolve) => {
            const socket = connect(port, '127.0.0.1', () => {
              socket.destroy();
              resolve('accepted');
            });
            socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
          }),
      ),
    );
    expect(refused).toEqual(Array(16).fill('ECONNREFUSED'));
  });

  it('refuses a lane count that is not a whole number of at least 1', async () => {
    await expect(listenInLanes(createServer(), { port: 0, lanes: 0 })).rejects.toThrow(RangeError);
  });
});
