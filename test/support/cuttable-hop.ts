import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A loopback TCP hop in front of a server that a test can cut and restore, as a network partition
 * would: `cut` closes the listener and destroys every connection through it (the client sees real
 * connection errors and new connections refused), `up` listens again on the same port.
 */
export class CuttableHop {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();

  /** @param port where the hop listens (see `freePort`) @param target the server behind it */
  constructor(
    readonly port: number,
    private readonly target: { host: string; port: number },
  ) {}

  async up(): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target.port, this.target.host);
      for (const socket of [client, upstream]) {
        this.#sockets.add(socket);
        socket.on('close', () => this.#sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', resolve));
    this.#server = server;
  }

  async cut(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    for (const socket of this.#sockets) socket.destroy();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
