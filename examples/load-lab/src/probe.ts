import { readdir, readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { cpus, loadavg, totalmem } from 'node:os';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { LabHttpClient } from './http-client';

/** One second of server-side figures. */
export interface ServerSample {
  /** Seconds since the run started. */
  t: number;
  /** The app child: CPU (% of one core), resident memory, open file descriptors. */
  appCpuPct: number | null;
  appRssMb: number | null;
  appFds: number | null;
  /** The load generator itself (it shares the machine). */
  labCpuPct: number;
  load1: number;
  /** From the app's /metrics. */
  sseConnections: number | null;
  consumerLag: number | null;
  pgWaiting: number | null;
  pgTotal: number | null;
  eventLoopP99Ms: number | null;
  queueWaiting: number | null;
  queueActive: number | null;
  held: number | null;
  confirmed: number | null;
  /**
   * The app's read side (issue 21; absent in memory): the projector's consumer lag (-1 unknown),
   * how stale its views may be (s; -1 before it first caught up), and reads served from the hot
   * store because they were staler than the bound, since the app started (counters).
   */
  projectorLag?: number | null;
  readSideStalenessS?: number | null;
  seatMapFallbacks?: number | null;
  statsFallbacks?: number | null;
  /** Redis INFO (whole server: shared with anything else using it). */
  redisUsedMb: number | null;
  redisOpsPerSec: number | null;
  redisClients: number | null;
  /**
   * The kernel's TCP counters (whole machine, cumulative): connections dropped because an accept
   * queue was full, and SYNs sent again — a full backlog turns into seconds of connect time.
   */
  listenOverflows: number | null;
  /** Connections the kernel dropped at a listening socket (overflows included): TcpExtListenDrops. */
  listenDrops?: number | null;
  synRetrans: number | null;
  /** How long /metrics took to answer: the app's responsiveness under load. */
  metricsMs: number | null;
  /**
   * Connections waiting in the app's accept queues (every listening socket on its port, from
   * /proc/net/tcp): completed by the kernel, not yet taken in by the app. A connection there is a
   * buyer who sees "connected" and no answer.
   */
  acceptQueue?: number | null;
  /**
   * The lab's own event-loop delay, most in the second (ms): while the lab's loop is late its
   * buyers' connects, requests and answers are handled late, and every step it times includes
   * that wait, which a real buyer on their own machine would not have.
   */
  labLoopMaxMs?: number | null;
}

/** Reads one labelled or plain sample from Prometheus text; sums when several lines match. */
export function promValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  let found: number | null = null;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || line.startsWith('#')) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const labelText = rest.startsWith('{') ? rest.slice(1, rest.indexOf('}')) : '';
    if (!Object.entries(labels).every(([k, v]) => labelText.includes(`${k}="${v}"`))) continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) found = (found ?? 0) + value;
  }
  return found;
}

/** TcpExt counters from /proc/net/netstat (name → value). */
export async function tcpCounters(): Promise<Record<string, number>> {
  const text = await readFile('/proc/net/netstat', 'utf8').catch(() => '');
  const lines = text.split('\n').filter((l) => l.startsWith('TcpExt:'));
  const names = lines[0]?.split(/\s+/) ?? [];
  const values = lines[1]?.split(/\s+/) ?? [];
  return Object.fromEntries(names.slice(1).map((n, i) => [n, Number(values[i + 1])]));
}

/**
 * Connections waiting in the accept queues of the sockets listening on `port` (IPv4 and IPv6):
 * for a listening socket /proc/net/tcp's rx_queue is its accept queue's length.
 */
export async function acceptQueue(port: number): Promise<number | null> {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let total: number | null = null;
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    const text = await readFile(file, 'utf8').catch(() => '');
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      // sl local_address rem_address st tx_queue:rx_queue …; 0A is LISTEN
      if (fields[3] !== '0A' || !fields[1]?.endsWith(suffix)) continue;
      total = (total ?? 0) + Number.parseInt(fields[4]?.split(':')[1] ?? '0', 16);
    }
  }
  return total;
}

/** utime + stime of a process, in clock ticks, from /proc/<pid>/stat. */
export async function cpuTicks(pid: number): Promise<number | null> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => null);
  if (!stat) return null;
  // the command name may contain spaces: fields are counted after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

/**
 * A process and its descendants (the app's node:cluster workers with `PROCESSES` > 1), from
 * /proc/<pid>/task/<tid>/children; just the process where the kernel does not list children.
 */
export async function processTree(pid: number): Promise<number[]> {
  const tree = [pid];
  for (let i = 0; i < tree.length && tree.length < 256; i++) {
    const tasks = await readdir(`/proc/${tree[i]}/task`).catch(() => [] as string[]);
    for (const task of tasks) {
      const text = await readFile(`/proc/${tree[i]}/task/${task}/children`, 'utf8').catch(() => '');
      for (const child of text.split(/\s+/).filter(Boolean)) tree.push(Number(child));
    }
  }
  return tree;
}

/** Sums a per-process figure over processes; null when none could be read. */
async function summed(pids: number[], read: (pid: number) => Promise<number | null>): Promise<number | null> {
  const values = (await Promise.all(pids.map(read))).filter((v): v is number => v !== null);
  return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
}

/** VmRSS of a process in MB, from /proc/<pid>/status. */
export async function rssMb(pid: number): Promise<number | null> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => null);
  const kb = status?.match(/^VmRSS:\s+(\d+) kB/m)?.[1];
  return kb ? Number(kb) / 1024 : null;
}

/**
 * Redis INFO over a bare RESP exchange on node:net (the lab has no Redis client): sends
 * `INFO`, reads one bulk string, returns its `field:value` lines.
 */
export function redisInfo(redisUrl: string, timeoutMs = 1_000): Promise<Record<string, string>> {
  const url = new URL(redisUrl);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: url.hostname, port: Number(url.port || 6379) });
    const chunks: Buffer[] = [];
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.setTimeout(timeoutMs, () => fail(new Error('redis INFO timed out')));
    socket.on('error', fail);
    socket.on('connect', () => {
      const auth = url.password
        ? `*3\r\n$4\r\nAUTH\r\n$${(url.username || 'default').length}\r\n${url.username || 'default'}\r\n$${decodeURIComponent(url.password).length}\r\n${decodeURIComponent(url.password)}\r\n`
        : '';
      socket.write(`${auth}*1\r\n$4\r\nINFO\r\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      const text = Buffer.concat(chunks).toString('utf8');
      const start = text.indexOf('$');
      if (start < 0) return;
      const headerEnd = text.indexOf('\r\n', start);
      const length = Number(text.slice(start + 1, headerEnd));
      const body = Buffer.concat(chunks).subarray(Buffer.byteLength(text.slice(0, headerEnd + 2)));
      if (body.length < length) return;
      socket.end();
      const info: Record<string, string> = {};
      for (const line of body.subarray(0, length).toString('utf8').split('\r\n')) {
        const colon = line.indexOf(':');
        if (colon > 0 && !line.startsWith('#')) info[line.slice(0, colon)] = line.slice(colon + 1);
      }
      resolve(info);
    });
  });
}

/**
 * Samples the app once a second while a profile runs (a sample whose /metrics call is slower than
 * the client's timeout still records the /proc and Redis figures): its /metrics, its process in /proc, the
 * machine's load, and Redis INFO when the app runs on Redis.
 */
export class ServerProbe {
  readonly samples: ServerSample[] = [];
  #timer: NodeJS.Timeout | null = null;
  #busy = false;
  #lastTicks: { at: number; app: number | null; lab: number } | null = null;
  readonly #startedAt: number;
  readonly #labLoop = monitorEventLoopDelay({ resolution: 10 });

  constructor(
    private readonly client: LabHttpClient,
    private readonly options: {
      pid: number | null;
      redisUrl: string | null;
      startedAt: number;
      /** The app's port: its accept queues are read when set. */
      port?: number;
    },
  ) {
    this.#startedAt = options.startedAt;
  }

  start(intervalMs = 1_000): void {
    this.#labLoop.enable();
    void this.sample();
    this.#timer = setInterval(() => {
      if (!this.#busy) void this.sample();
    }, intervalMs);
  }

  stop(): void {
    this.#labLoop.disable();
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = null;
  }

  /** Takes one sample now. */
  async sample(): Promise<ServerSample> {
    this.#busy = true;
    try {
      const now = performance.now();
      const { pid, redisUrl } = this.options;
      // the app and its worker processes, if it forked any: CPU, RSS and descriptors are summed
      const pids = pid ? await processTree(pid) : [];
      const metricsStarted = performance.now();
      const labLoopMaxMs = this.#labLoop.count > 0 ? this.#labLoop.max / 1e6 : null;
      this.#labLoop.reset();
      const [metrics, ticks, rss, fds, info, tcp, waiting] = await Promise.all([
        this.client
          .request('GET', '/metrics', { headers: { accept: 'text/plain' } })
          .then((a) => (a.body as { text?: string } | null)?.text ?? null)
          .catch(() => null),
        summed(pids, cpuTicks),
        summed(pids, rssMb),
        summed(pids, (p) =>
          readdir(`/proc/${p}/fd`)
            .then((l) => l.length)
            .catch(() => null),
        ),
        redisUrl ? redisInfo(redisUrl).catch(() => null) : Promise.resolve(null),
        tcpCounters(),
        this.options.port ? acceptQueue(this.options.port) : Promise.resolve(null),
      ]);
      const metricsMs = metrics === null ? null : performance.now() - metricsStarted;
      const lab = process.cpuUsage();
      const labTicks = (lab.user + lab.system) / 10_000;
      let appCpuPct: number | null = null;
      let labCpuPct = 0;
      if (this.#lastTicks) {
        const seconds = (now - this.#lastTicks.at) / 1_000;
        if (ticks !== null && this.#lastTicks.app !== null)
          appCpuPct = (ticks - this.#lastTicks.app) / seconds;
        labCpuPct = (labTicks - this.#lastTicks.lab) / seconds;
      }
      this.#lastTicks = { at: now, app: ticks, lab: labTicks };
      const m = (name: string, labels?: Record<string, string>) =>
        metrics === null ? null : promValue(metrics, name, labels);
      const lagP99 = m('nodejs_eventloop_lag_p99_seconds');
      const sample: ServerSample = {
        t: Math.round((now - this.#startedAt) / 100) / 10,
        appCpuPct,
        appRssMb: rss,
        appFds: fds,
        labCpuPct,
        load1: loadavg()[0]!,
        sseConnections: m('seatrush_sse_connections'),
        consumerLag: m('seatrush_consumer_lag'),
        pgWaiting: m('seatrush_pool_connections', { pool: 'postgres', state: 'waiting' }),
        pgTotal: m('seatrush_pool_connections', { pool: 'postgres', state: 'total' }),
        eventLoopP99Ms: lagP99 === null ? null : lagP99 * 1_000,
        queueWaiting: m('seatrush_queue_waiting'),
        queueActive: m('seatrush_queue_active'),
        held: m('seatrush_stock_units', { state: 'held' }),
        confirmed: m('seatrush_stock_units', { state: 'confirmed' }),
        projectorLag: m('seatrush_projector_lag'),
        readSideStalenessS: m('seatrush_read_side_staleness_seconds'),
        seatMapFallbacks: m('seatrush_read_side_fallbacks_total', { read: 'seat-map' }),
        statsFallbacks: m('seatrush_read_side_fallbacks_total', { read: 'stats' }),
        redisUsedMb: info?.used_memory ? Number(info.used_memory) / 1024 / 1024 : null,
        redisOpsPerSec: info?.instantaneous_ops_per_sec ? Number(info.instantaneous_ops_per_sec) : null,
        redisClients: info?.connected_clients ? Number(info.connected_clients) : null,
        listenOverflows: tcp.ListenOverflows ?? null,
        listenDrops: tcp.ListenDrops ?? null,
        synRetrans: tcp.TCPSynRetrans ?? null,
        metricsMs,
        acceptQueue: waiting,
        labLoopMaxMs,
      };
      this.samples.push(sample);
      return sample;
    } finally {
      this.#busy = false;
    }
  }
}

/** The machine, for the report's header. */
export function machine(): { cpus: number; model: string; memoryGb: number; node: string; load: number[] } {
  const list = cpus();
  return {
    cpus: list.length,
    model: list[0]?.model ?? 'unknown',
    memoryGb: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    load: loadavg(),
  };
}
