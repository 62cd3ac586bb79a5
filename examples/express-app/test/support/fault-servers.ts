import { execFileSync } from 'node:child_process';
import { chownSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@seatrush/test-support';

/**
 * Servers a fault test may kill: its own, never the shared ones the other tests use. Each starts
 * on a free loopback port and is removed by `destroy()`.
 */

const KAFKA_SCRIPT = fileURLToPath(new URL('../../../../scripts/services/kafka.sh', import.meta.url));

/** A single Kafka broker (KRaft) of the test's own, through the project's service script. */
export interface KafkaBroker {
  brokers: string[];
  /** Starts it (again, on the same data after `kill`). */
  up(): void;
  /** SIGKILL: no shutdown, as a crash. */
  kill(): void;
  /** Stops it and removes its data. */
  destroy(): void;
}

export function kafkaBroker(name: string, port: number): KafkaBroker {
  const env = { ...process.env, SEATRUSH_KAFKA_NAME: name, SEATRUSH_KAFKA_PORT: String(port) };
  const run = (...args: string[]) =>
    execFileSync('bash', [KAFKA_SCRIPT, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  return {
    brokers: [`127.0.0.1:${port}`],
    up: () => run('up', 'single'),
    kill: () => run('kill'),
    destroy: () => run('down', 'single'),
  };
}

/** A PostgreSQL cluster of the test's own (initdb in a temporary folder). */
export interface PostgresServer {
  url: string;
  /** Stops it (fast shutdown: sessions cut, as an operator's restart does) and starts it again. */
  restart(pauseMs?: number): Promise<void>;
  destroy(): void;
}

export async function postgresServer(): Promise<PostgresServer> {
  const bin = postgresBin();
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'seatrush-pg-'));
  const data = join(dir, 'data');
  // PostgreSQL refuses to run as root: the Debian package's `postgres` user runs it then
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres']).toString());
    const gid = Number(execFileSync('id', ['-g', 'postgres']).toString());
    chownSync(dir, uid, gid);
  }
  const run = (tool: string, args: string[]) =>
    execFileSync(
      asRoot ? 'runuser' : join(bin, tool),
      asRoot ? ['-u', 'postgres', '--', join(bin, tool), ...args] : args,
      {
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: dir,
      },
    );
  run('initdb', ['-D', data, '-U', 'postgres', '-A', 'trust', '-E', 'UTF8']);
  const options = `-c listen_addresses=127.0.0.1 -p ${port} -c unix_socket_directories=${dir} -c fsync=off -c max_connections=100`;
  const start = () =>
    run('pg_ctl', ['-D', data, '-l', join(dir, 'log'), '-w', '-t', '60', '-o', options, 'start']);
  const stop = (mode: 'fast' | 'immediate') => run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  start();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async restart(pauseMs = 0) {
      stop('fast');
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
      start();
    },
    destroy() {
      try {
        stop('immediate');
      } catch {
        // not running
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function postgresBin(): string {
  const versions = readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
  const newest = versions.at(-1);
  if (!newest) throw new Error('no PostgreSQL in /usr/lib/postgresql (scripts/services.sh installs it)');
  return join('/usr/lib/postgresql', newest, 'bin');
}
