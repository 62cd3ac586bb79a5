import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The example app's built entry (`pnpm --filter @seatrush/example-express-app build`), or
 * `LOAD_LAB_APP`: a copy of that dist/ kept beside it, so a series of runs compared side by side
 * runs one build even when the shared dist/ is rebuilt meanwhile.
 */
export const APP_ENTRY =
  process.env.LOAD_LAB_APP ?? join(dirname(fileURLToPath(import.meta.url)), '../../express-app/dist/main.js');

/** Real servers' addresses, as the app reads them. */
export interface ServerEnv {
  REDIS_URL: string;
  KAFKA_BROKERS: string;
  DATABASE_URL: string;
}

/** How the app child is configured for a load run. */
export interface AppSettings {
  /** null → the embedded in-memory default. */
  servers: ServerEnv | null;
  powDifficulty: number;
  paymentLatencyMs: number;
  paymentFailureRate: number;
  /** Passed as RESERVE_STRATEGY; see {@link strategySupported}. */
  strategy: 'atomic' | 'lock';
  /**
   * The front door (see the app's LISTEN_BACKLOG, PROCESSES, PROCESS_SHARING): unset → the app's
   * defaults (one process). Several processes need the real servers.
   */
  frontDoor?: {
    listenBacklog?: number;
    acceptLanes?: number;
    processes?: number;
    sharing?: 'reuseport' | 'cluster';
  };
  /** When set, the app runs under `--cpu-prof` and writes its profile here on exit. */
  cpuProfileDir?: string;
  /** Extra environment (wins over the lab's defaults). */
  env?: Record<string, string>;
  /**
   * The identity several instances share (one sale over the same servers): same NAMESPACE, the
   * same session, invitation and operator secrets. Unset: a fresh one for this app alone.
   */
  identity?: AppIdentity;
}

/** What every instance of one run shares: its namespace and secrets. */
export interface AppIdentity {
  namespace: string;
  operatorToken: string;
  sessionSecret: string;
  invitationSecret: string;
}

/** A fresh identity: a namespace no other run uses, random secrets. */
export function newIdentity(): AppIdentity {
  return {
    namespace: `lab_${randomBytes(4).toString('hex')}`,
    operatorToken: `lab-${randomBytes(12).toString('hex')}`,
    sessionSecret: randomBytes(32).toString('hex'),
    invitationSecret: randomBytes(32).toString('hex'),
  };
}

/** A running app child. */
export interface AppProcess {
  baseUrl: string;
  pid: number;
  operatorToken: string;
  namespace: string;
  /** False once the process has exited (stopped, crashed or killed). */
  alive(): boolean;
  /** SIGKILLs the process (the lab's fault injection); resolves when it has exited. */
  kill(): Promise<number | null>;
  /** The last lines the app wrote to stderr/stdout (for error messages). */
  output(): string;
  stop(): Promise<number | null>;
}

/** The servers' addresses from the environment, or null when they are not all set. */
export function serversFromEnv(env: Record<string, string | undefined> = process.env): ServerEnv | null {
  const { REDIS_URL, KAFKA_BROKERS, DATABASE_URL } = env;
  return REDIS_URL && KAFKA_BROKERS && DATABASE_URL ? { REDIS_URL, KAFKA_BROKERS, DATABASE_URL } : null;
}

/**
 * Whether the built app reads a reserve-strategy setting. The example app wires the SDK's default
 * (`atomic`, one Lua script per reserve); a comparison run says so rather than label two identical
 * runs "atomic" and "lock".
 */
export async function strategySupported(): Promise<boolean> {
  const { readdir, readFile } = await import('node:fs/promises');
  const dist = dirname(APP_ENTRY);
  // the configuration may sit in any chunk of the bundle
  for (const file of await readdir(dist).catch(() => [] as string[])) {
    if (!file.endsWith('.js')) continue;
    if ((await readFile(join(dist, file), 'utf8')).includes('RESERVE_STRATEGY')) return true;
  }
  return false;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** The app's environment for the front-door settings that are set. */
export function frontDoorEnv(frontDoor: AppSettings['frontDoor']): Record<string, string> {
  const env: Record<string, string> = {};
  if (frontDoor?.listenBacklog) env.LISTEN_BACKLOG = String(frontDoor.listenBacklog);
  if (frontDoor?.acceptLanes) env.ACCEPT_LANES = String(frontDoor.acceptLanes);
  if (frontDoor?.processes && frontDoor.processes > 1) {
    env.PROCESSES = String(frontDoor.processes);
    env.PROCESS_SHARING = frontDoor.sharing ?? 'reuseport';
  }
  return env;
}

/**
 * Starts the example app from its dist/ as a child process on a free loopback port with the lab's
 * settings: no demo sale (the lab creates its own), the defences opened wide enough for one
 * machine to play thousands of buyers from one address, a fresh NAMESPACE on the real servers so
 * runs never see each other's keys, topics or rows. Resolves once /health answers 200.
 */
export async function startApp(settings: AppSettings): Promise<AppProcess> {
  if (!existsSync(APP_ENTRY)) {
    throw new Error(`${APP_ENTRY} is missing: run pnpm --filter @seatrush/example-express-app build`);
  }
  const port = await freePort();
  const identity = settings.identity ?? newIdentity();
  const { operatorToken, namespace } = identity;
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '',
    PORT: String(port),
    HOST: '127.0.0.1',
    OPERATOR_TOKEN: operatorToken,
    SESSION_SECRET: identity.sessionSecret,
    INVITATION_SECRET: identity.invitationSecret,
    NAMESPACE: namespace,
    DEMO_SALE: 'none',
    POW_DIFFICULTY: String(settings.powDifficulty),
    PAYMENT_LATENCY_MS: String(settings.paymentLatencyMs),
    PAYMENT_FAILURE_RATE: String(settings.paymentFailureRate),
    // every virtual buyer comes from loopback: per-IP limits would measure the limiter, not the app
    RATE_PER_IP: '1000000',
    RATE_PER_USER: '1000',
    RATE_GLOBAL: '1000000',
    // and every waiting buyer holds a queue stream from one of a few loopback addresses
    STREAMS_PER_IP: '1000000',
    BOT_PER_IP_PER_SECOND: '10000',
    RESERVE_STRATEGY: settings.strategy,
    LOG_LEVEL: 'warn',
    ...frontDoorEnv(settings.frontDoor),
    ...(settings.servers ?? {}),
    ...settings.env,
  };
  const args = settings.cpuProfileDir
    ? ['--cpu-prof', `--cpu-prof-dir=${settings.cpuProfileDir}`, APP_ENTRY]
    : [APP_ENTRY];
  const child: ChildProcess = spawn(process.execPath, args, {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const tail: string[] = [];
  const keep = (chunk: Buffer) => {
    tail.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    tail.splice(0, Math.max(0, tail.length - 40));
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  // never leave the app behind: if the lab dies, the child goes with it
  const orphanGuard = () => child.kill('SIGKILL');
  process.once('exit', orphanGuard);
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      process.removeListener('exit', orphanGuard);
      resolve(code);
    }),
  );
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 90_000;
  let exitCode: number | null | undefined;
  let killed = false;
  exited.then((code) => {
    exitCode = code;
  });
  for (;;) {
    if (exitCode !== undefined)
      throw new Error(`the app exited (${exitCode}) while starting:\n${tail.join('\n')}`);
    const ok = await fetch(`${baseUrl}/health`)
      .then((r) => r.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`the app did not become healthy in 90 s:\n${tail.join('\n')}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    baseUrl,
    pid: child.pid!,
    operatorToken,
    namespace,
    output: () => tail.join('\n'),
    // a killed instance leaves the rotation at once, before its exit is reported
    alive: () => exitCode === undefined && !killed,
    async kill() {
      if (exitCode !== undefined) return exitCode;
      killed = true;
      child.kill('SIGKILL');
      return exited;
    },
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/**
 * Starts `count` instances of the app on the same servers as one sale: the same namespace and
 * secrets (a session cookie, a challenge or an operator token from one is valid at every other),
 * each on its own port. Only on the real servers: the embedded default keeps the sale in each
 * process's memory, so several of them would be several separate sales.
 */
export async function startInstances(settings: AppSettings, count: number): Promise<AppProcess[]> {
  const processes = settings.frontDoor?.processes ?? 1;
  if (processes > 1 && !settings.servers) {
    throw new Error(
      `--processes ${processes} needs the real servers (set REDIS_URL, KAFKA_BROKERS and DATABASE_URL): the app's in-memory stores live in each process, so ${processes} processes would be ${processes} separate sales`,
    );
  }
  if (count > 1 && !settings.servers) {
    throw new Error(
      `${count} instances need the real servers (set REDIS_URL, KAFKA_BROKERS and DATABASE_URL): the embedded default keeps each sale in its own process's memory, so ${count} processes would be ${count} separate sales`,
    );
  }
  const identity = settings.identity ?? newIdentity();
  // one at a time: each startup creates the namespace's schema and topics, and two CPUs are shared
  const started: AppProcess[] = [];
  try {
    for (let i = 0; i < count; i++) started.push(await startApp({ ...settings, identity }));
  } catch (error) {
    await Promise.all(started.map((app) => app.stop()));
    throw error;
  }
  return started;
}
