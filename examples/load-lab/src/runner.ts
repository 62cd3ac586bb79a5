import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppProcess, type ServerEnv, startInstances, strategySupported } from './app-process';
import { type BuyerResult, VirtualBuyer } from './buyer';
import { type CpuProfileSummary, summariseCpuProfile } from './cpu-profile';
import { LabHttpClient } from './http-client';
import { checkInvariant, type InvariantReport } from './invariant';
import { machine, ServerProbe, type ServerSample } from './probe';
import type { ProfileName, ProfileParams } from './profiles';
import { type RoundRobinProxy, startRoundRobinProxy } from './proxy';
import { Recorder, type Step, type StepFigures, type TimelinePoint } from './recorder';
import { labSeatIds, OperatorApi, type Reconciliation, type SaleFiguresView } from './sale';

/** Everything one run produced: the JSON result file's content. */
export interface RunResult {
  meta: {
    profile: ProfileName;
    label: string;
    startedAt: string;
    durationMs: number;
    loadMs: number;
    mode: 'servers' | 'embedded';
    strategy: 'atomic' | 'lock';
    /** Whether the app honoured the strategy setting (false: it ran its default, atomic). */
    strategyApplied: boolean;
    namespace: string;
    machine: ReturnType<typeof machine> & { loadAtEnd: number[] };
    params: ProfileParams;
  };
  steps: Partial<Record<Step, StepFigures>>;
  outcomes: Record<string, number>;
  /** Requests retried after a connection refused or reset, by code. */
  retries: Record<string, number>;
  throughput: { buyersPerSecond: number; requestsPerSecond: number; holdsPerSecond: number };
  timeline: TimelinePoint[];
  server: ServerSample[];
  figures: SaleFiguresView | null;
  reconciliation: Reconciliation | null;
  invariant: InvariantReport;
  watchers?: WatchersFigures;
  /** The app's hottest functions and areas, when run with `--cpuProfile 1`. */
  cpuProfile?: CpuProfileSummary | null;
  /**
   * With `instances` > 1: each instance's own figures (the run's `server` samples are those of
   * `figuresFrom`, the instance the sale figures were read from).
   */
  instances?: InstanceFigures[];
  /** With `instances` > 1: requests whose instance refused, reset or died (the buyer's connection was cut). */
  proxyUpstreamErrors?: number;
  /** With `killOwnerAt`: the admission loop's owner SIGKILLed and the takeover timed. */
  failover?: FailoverFigures;
  soak?: {
    rssStartMb: number | null;
    rssEndMb: number | null;
    fdsStart: number | null;
    fdsEnd: number | null;
  };
}

/** One app instance of a multi-instance run. */
export interface InstanceFigures {
  index: number;
  pid: number;
  baseUrl: string;
  /** Requests (streams included) the round-robin proxy sent it. */
  forwarded: number;
  /** Whether the sale figures and the run's `server` samples come from this instance. */
  figuresFrom: boolean;
  /** Seconds after the run started when the lab SIGKILLed it, if it did. */
  killedAtS: number | null;
  samples: ServerSample[];
}

/** The admission loop's owner SIGKILLed mid-run. */
export interface FailoverFigures {
  /** The instance killed (its index), or null when no instance reported owning the loop. */
  killed: number | null;
  /** Seconds after the first buyer when it was killed. */
  killedAtS: number;
  /** From the SIGKILL until another instance's /health reports owning the loop; null: never (30 s). */
  takeoverMs: number | null;
  newOwner: number | null;
  /** Requests that found the killed instance gone (502 or a cut connection at the proxy). */
  upstreamErrors: number;
}

/** What the watchers profile measured. */
export interface WatchersFigures {
  target: number;
  /** Most SSE streams the app reported open at once. */
  peakConnections: number;
  /** Streams the lab had open at the plateau, and how many failed to open. */
  openedByLab: number;
  failedToOpen: number;
  rssBaselineMb: number | null;
  rssPeakMb: number | null;
  /** (peak RSS − baseline RSS) / peak connections. */
  kbPerConnection: number | null;
  /** Queue events received per second across all watchers at the plateau (the fan-out). */
  eventsPerSecond: number;
  /** /metrics answer time at the plateau: is the app still responsive while holding them. */
  metricsMsAtPlateau: number | null;
  stoppedBecause: string;
}

/** A run's inputs. */
export interface RunOptions {
  profile: ProfileName;
  params: ProfileParams;
  servers: ServerEnv | null;
  strategy?: 'atomic' | 'lock';
  label?: string;
  /** Where the app's CPU profile goes (with `cpuProfile: 1`); a temporary folder by default. */
  profileDir?: string;
  /** Progress lines (one a second at most). */
  log?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * Runs one profile end to end: starts the app child (embedded or on the real servers, in a fresh
 * namespace), creates the lab's sale, drives the virtual buyers, samples the server every second,
 * lets the pipeline settle, checks the invariant, stops the app. Always stops by itself: buyers
 * still going at `maxRunSeconds` are stopped.
 */
export async function runProfile(options: RunOptions): Promise<RunResult> {
  const { profile, params } = options;
  const strategy = options.strategy ?? 'atomic';
  const log = options.log ?? (() => {});
  const startedAt = new Date();
  const t0 = performance.now();
  const profileDir = params.cpuProfile
    ? (options.profileDir ?? (await mkdtemp(join(tmpdir(), 'load-lab-profile-'))))
    : undefined;
  if (!Number.isInteger(params.instances) || params.instances < 1) {
    throw new Error(`--instances must be a whole number of at least 1: ${params.instances}`);
  }
  if (params.killOwnerAt > 0 && params.instances < 2) {
    throw new Error('--kill-owner-at needs --instances 2 or more: someone must take the loop over');
  }
  const apps: AppProcess[] = await startInstances(
    {
      ...(profileDir ? { cpuProfileDir: profileDir } : {}),
      servers: options.servers,
      powDifficulty: params.powDifficulty,
      paymentLatencyMs: params.paymentLatencyMs,
      paymentFailureRate: params.paymentFailureRate,
      strategy,
      frontDoor: {
        listenBacklog: params.listenBacklog,
        acceptLanes: params.acceptLanes,
        processes: params.processes,
        sharing: params.roundRobin ? 'cluster' : 'reuseport',
      },
      ...(params.checkout ? { env: { CHECKOUT: 'buyer' } } : {}),
    },
    params.instances,
  );
  const multi = apps.length > 1;
  // several instances: the buyers go through a round-robin front that skips a killed instance
  let proxy: RoundRobinProxy | null = null;
  let client: LabHttpClient;
  try {
    if (multi)
      proxy = await startRoundRobinProxy(
        apps.map((a) => a.baseUrl),
        (i) => apps[i]!.alive(),
      );
    client = new LabHttpClient(proxy?.url ?? apps[0]!.baseUrl, {
      sourceAddresses: params.sourceAddresses,
      requestSockets: params.requestSockets,
      keepAlive: params.keepAlive !== 0,
    });
  } catch (error) {
    await Promise.all(apps.map((a) => a.stop()));
    throw error;
  }
  // the probes have connections of their own: behind the buyers' pool they would see nothing when it matters
  const probeClients = apps.map((a) => new LabHttpClient(a.baseUrl, { requestSockets: 2, timeoutMs: 2_000 }));
  // the operator talks to one instance directly (the one that defines the sale), not through the front
  const operatorClients = multi
    ? apps.map((a) => new LabHttpClient(a.baseUrl, { requestSockets: 8 }))
    : [client];
  const operatorAt = (i: number) => new OperatorApi(operatorClients[i]!, apps[0]!.operatorToken);
  let probes: ServerProbe[] = [];
  let figuresFrom = 0;
  let app: AppProcess = apps[0]!;
  let result: RunResult;
  try {
    let operator = operatorAt(0);
    const saleId = `lab-${randomBytes(3).toString('hex')}`;
    await operator.prepare({
      id: saleId,
      seats: params.seats,
      admitPerTick: params.admitPerTick,
      tickMs: params.tickMs,
      maxActive: params.maxActive,
      holdMs: params.holdMs,
    });
    if (multi) {
      await awaitDiscovery(operatorClients, saleId);
      // the sale's figures come from an instance that will not be killed
      if (params.killOwnerAt > 0) {
        const owner = await admissionOwner(probeClients, apps, saleId, 10_000);
        figuresFrom = owner === 0 ? 1 : 0;
      }
      app = apps[figuresFrom]!;
      operator = operatorAt(figuresFrom);
    }
    probes = apps.map(
      (a, i) =>
        new ServerProbe(probeClients[i]!, {
          pid: a.pid,
          port: Number(new URL(a.baseUrl).port),
          redisUrl: i === figuresFrom ? (options.servers?.REDIS_URL ?? null) : null,
          startedAt: t0,
        }),
    );
    const probe = probes[figuresFrom]!;
    const recorder = new Recorder();
    client.onConnect = (ms) => recorder.record('tcp_connect', ms);
    for (const p of probes) p.start();
    await sleep(1_100); // a baseline sample before the first buyer
    const abort = new AbortController();
    const deadline = setTimeout(() => abort.abort(), params.maxRunSeconds * 1_000);
    const seatIds = labSeatIds(params.seats);
    let index = 0;
    let queueEvents = 0;
    const buyers: BuyerResult[] = [];
    const runId = randomBytes(3).toString('hex');
    const launch = (watchOnly = false, onEvent?: () => void): Promise<BuyerResult> => {
      const i = index++;
      const buyer = new VirtualBuyer(`${runId}-${i}`, {
        client,
        recorder,
        saleId,
        seatIds,
        behaviour: params.behaviour,
        checkout: params.checkout ? 'buyer' : 'auto',
        source: i % params.sourceAddresses,
        signal: abort.signal,
        watchOnly,
        signInOnly: params.signInOnly !== 0,
        onQueueEvent: () => {
          queueEvents++;
          onEvent?.();
        },
      });
      return buyer.run().then((r) => {
        buyers.push(r);
        return r;
      });
    };
    const progress = setInterval(() => {
      const s = probe.samples.at(-1);
      log(
        `  t=${((performance.now() - t0) / 1000).toFixed(0)}s started ${index} done ${buyers.length} ` +
          `sse ${s?.sseConnections ?? '?'} waiting ${s?.queueWaiting ?? '?'} held ${s?.held ?? '?'} ` +
          `confirmed ${s?.confirmed ?? '?'} app cpu ${s?.appCpuPct?.toFixed(0) ?? '?'}% rss ${s?.appRssMb?.toFixed(0) ?? '?'} MB` +
          (multi
            ? ` · instances cpu ${probes.map((p, i) => (apps[i]!.alive() ? `${p.samples.at(-1)?.appCpuPct?.toFixed(0) ?? '?'}%` : 'killed')).join('/')}`
            : ''),
      );
    }, 5_000);
    const loadStarted = performance.now();
    let failover: FailoverFigures | undefined;
    const killedAt = apps.map((): number | null => null);
    const killer =
      params.killOwnerAt > 0
        ? sleep(params.killOwnerAt * 1_000).then(async () => {
            failover = await killOwner(probeClients, apps, saleId, log);
            failover.killedAtS = (performance.now() - loadStarted) / 1_000;
            if (failover.killed !== null) killedAt[failover.killed] = (performance.now() - t0) / 1_000;
          })
        : Promise.resolve();
    let watchers: WatchersFigures | undefined;
    const work = async () => {
      if (profile === 'spike') {
        await Promise.all(
          Array.from(
            { length: params.buyers },
            () =>
              new Promise<BuyerResult>((r) => setTimeout(() => r(launch()), Math.random() * params.spreadMs)),
          ),
        );
      } else if (profile === 'ramp') {
        const running = new Set<Promise<BuyerResult>>();
        for (const concurrency of params.rampSteps) {
          log(`  ramp step: ${concurrency} concurrent buyers for ${params.stepSeconds} s`);
          const stepEnds = performance.now() + params.stepSeconds * 1_000;
          while (performance.now() < stepEnds && !abort.signal.aborted) {
            while (running.size < concurrency) {
              const p = launch();
              running.add(p);
              p.then(() => running.delete(p));
            }
            await sleep(50);
          }
        }
        await Promise.all(running);
      } else if (profile === 'soak') {
        const all: Promise<BuyerResult>[] = [];
        const ends = performance.now() + params.soakSeconds * 1_000;
        const gap = 1_000 / params.arrivalsPerSecond;
        for (let next = performance.now(); next < ends && !abort.signal.aborted; next += gap) {
          await sleep(Math.max(0, next - performance.now()));
          all.push(launch());
        }
        await Promise.all(all);
      } else {
        watchers = await runWatchers(params, probe, launch, () => queueEvents, abort, log);
      }
    };
    try {
      // the safety net: buyers get `maxRunSeconds` (then the abort), the run 30 s more at most;
      // a buyer still unfinished then shows up in the invariant as not in a final state
      let hardStop: NodeJS.Timeout | undefined;
      await Promise.race([
        work(),
        new Promise<void>((resolve) => {
          hardStop = setTimeout(
            () => {
              log('  hard stop: buyers still running 30 s after the run time limit');
              resolve();
            },
            (params.maxRunSeconds + 30) * 1_000,
          );
        }),
      ]);
      clearTimeout(hardStop);
      await killer;
    } finally {
      clearTimeout(deadline);
      clearInterval(progress);
    }
    const loadMs = performance.now() - loadStarted;

    // settle: holds resolved and the consumer drained, or the settle time is over
    let figures = await operator.stats(saleId).catch(() => null);
    const settleEnds = performance.now() + params.settleSeconds * 1_000;
    while (figures && (figures.held > 0 || figures.consumerLag > 0) && performance.now() < settleEnds) {
      await sleep(500);
      figures = await operator.stats(saleId).catch(() => figures);
    }
    const reconciliation = await operator.reconcile(saleId).catch(() => null);
    figures = await operator.stats(saleId).catch(() => figures);
    const serverStatus = new Map<string, string | null>();
    await pool(
      buyers.filter((b) => b.reservationId),
      32,
      async (b) => {
        const answer = await client
          .request('GET', `/api/sales/${saleId}/reservations/${b.reservationId}`, { cookie: b.cookie ?? '' })
          .catch(() => null);
        serverStatus.set(
          b.reservationId!,
          (answer?.body as { reservation?: { status?: string } } | null)?.reservation?.status ?? null,
        );
      },
    );
    await Promise.all(probes.filter((_, i) => apps[i]!.alive()).map((p) => p.sample()));
    for (const p of probes) p.stop();
    if (failover) failover.upstreamErrors = proxy?.upstreamErrors ?? 0;
    const invariant = figures
      ? checkInvariant({
          buyers,
          figures,
          reconciliation,
          serverStatus,
          buyerCheckout: params.checkout === 1,
        })
      : {
          ok: false,
          checks: [{ name: 'sale figures readable', ok: false, detail: 'the stats call failed' }],
        };

    const outcomes: Record<string, number> = {};
    for (const b of buyers) outcomes[b.state] = (outcomes[b.state] ?? 0) + 1;
    const steps = recorder.steps(loadMs);
    const requests = Object.entries(steps)
      .filter(([step]) => !['proof_of_work', 'admission_wait', 'result_wait', 'end_to_end'].includes(step))
      .reduce((sum, [, s]) => sum + Object.values(s.codes).reduce((a, b) => a + b, 0), 0);
    const durationMs = performance.now() - t0;
    const samples = probe.samples;
    result = {
      meta: {
        profile,
        label: options.label ?? `${profile} (${strategy})`,
        startedAt: startedAt.toISOString(),
        durationMs,
        loadMs,
        mode: options.servers ? 'servers' : 'embedded',
        strategy,
        strategyApplied: strategy === 'atomic' || (await strategySupported()),
        namespace: app.namespace,
        machine: { ...machine(), load: samples[0] ? [samples[0].load1] : [], loadAtEnd: machine().load },
        params,
      },
      steps,
      outcomes,
      retries: recorder.retries,
      throughput: {
        buyersPerSecond: (buyers.length / loadMs) * 1_000,
        requestsPerSecond: (requests / loadMs) * 1_000,
        holdsPerSecond: ((steps.reserve?.codes.OK ?? 0) / loadMs) * 1_000,
      },
      timeline: recorder.timeline(),
      server: samples,
      figures,
      reconciliation,
      invariant,
      ...(watchers ? { watchers } : {}),
      ...(multi
        ? {
            instances: apps.map((a, i) => ({
              index: i,
              pid: a.pid,
              baseUrl: a.baseUrl,
              forwarded: proxy?.forwarded[i] ?? 0,
              figuresFrom: i === figuresFrom,
              killedAtS: killedAt[i] ?? null,
              samples: probes[i]!.samples,
            })),
          }
        : {}),
      ...(failover ? { failover } : {}),
      ...(proxy ? { proxyUpstreamErrors: (proxy as RoundRobinProxy).upstreamErrors } : {}),
      ...(profile === 'soak'
        ? {
            soak: {
              rssStartMb: samples[1]?.appRssMb ?? null,
              rssEndMb: samples.at(-1)?.appRssMb ?? null,
              fdsStart: samples[1]?.appFds ?? null,
              fdsEnd: samples.at(-1)?.appFds ?? null,
            },
          }
        : {}),
    };
  } finally {
    for (const p of probes) p.stop();
    client.close();
    for (const c of [...probeClients, ...operatorClients]) c.close();
    await proxy?.close();
    await Promise.all(apps.map((a) => a.stop()));
  }
  // the profile is written when the app exits
  if (profileDir) result.cpuProfile = await summariseCpuProfile(profileDir);
  return result;
}

/** Waits until every instance lists the sale at GET /api/sales (the others discover it within 1 s). */
async function awaitDiscovery(clients: LabHttpClient[], saleId: string, timeoutMs = 20_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (const [i, c] of clients.entries()) {
    for (;;) {
      const answer = await c.request('GET', '/api/sales').catch(() => null);
      const sales = (answer?.body as { sales?: Array<{ id: string }> } | null)?.sales ?? [];
      if (sales.some((s) => s.id === saleId)) break;
      if (performance.now() > deadline) throw new Error(`instance ${i} never served the sale ${saleId}`);
      await sleep(100);
    }
  }
}

/** Which live instance's /health says it owns the sale's admission loop now (null: none). */
async function ownerNow(
  clients: LabHttpClient[],
  apps: AppProcess[],
  saleId: string,
): Promise<number | null> {
  const answers = await Promise.all(
    clients.map((c, i) => (apps[i]!.alive() ? c.request('GET', '/health').catch(() => null) : null)),
  );
  const index = answers.findIndex(
    (a) =>
      (a?.body as { loops?: Array<{ id: string; admission?: boolean }> } | null)?.loops?.find(
        (l) => l.id === saleId,
      )?.admission === true,
  );
  return index < 0 ? null : index;
}

/** Polls {@link ownerNow} until an owner shows up or `timeoutMs` passes. */
async function admissionOwner(
  clients: LabHttpClient[],
  apps: AppProcess[],
  saleId: string,
  timeoutMs: number,
  except: number | null = null,
): Promise<number | null> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const owner = await ownerNow(clients, apps, saleId);
    if (owner !== null && owner !== except) return owner;
    if (performance.now() > deadline) return null;
    await sleep(20);
  }
}

/** SIGKILLs the admission loop's owner and times the takeover (another instance owning it). */
async function killOwner(
  clients: LabHttpClient[],
  apps: AppProcess[],
  saleId: string,
  log: (line: string) => void,
): Promise<FailoverFigures> {
  const owner = await admissionOwner(clients, apps, saleId, 5_000);
  if (owner === null) {
    log('  kill-owner: no instance reports owning the admission loop; nobody killed');
    return { killed: null, killedAtS: 0, takeoverMs: null, newOwner: null, upstreamErrors: 0 };
  }
  const killedAt = performance.now();
  void apps[owner]!.kill();
  const newOwner = await admissionOwner(clients, apps, saleId, 30_000, owner);
  const takeoverMs = newOwner === null ? null : performance.now() - killedAt;
  log(
    `  kill-owner: instance ${owner} SIGKILLed; ${newOwner === null ? 'no takeover within 30 s' : `instance ${newOwner} owns the loop after ${takeoverMs!.toFixed(0)} ms`}`,
  );
  return { killed: owner, killedAtS: 0, takeoverMs, newOwner, upstreamErrors: 0 };
}

/**
 * The watchers profile: opens waiting-room streams `watcherBatch` at a time until `watchers` are
 * open, the app stops accepting them (more than 5 % of a batch fail) or the run's time is up; then
 * holds them `holdSeconds` and measures memory per connection and the fan-out rate.
 */
async function runWatchers(
  params: ProfileParams,
  probe: ServerProbe,
  launch: (watchOnly: boolean, onEvent: () => void) => Promise<BuyerResult>,
  events: () => number,
  abort: AbortController,
  log: (line: string) => void,
): Promise<WatchersFigures> {
  const baseline = probe.samples.at(-1)?.appRssMb ?? null;
  const all: Promise<BuyerResult>[] = [];
  let failed = 0;
  let stoppedBecause = 'target reached';
  const finishedEarly: BuyerResult[] = [];
  const budgetEnds = performance.now() + (params.maxRunSeconds - params.holdSeconds - 15) * 1_000;
  while (all.length < params.watchers) {
    if (abort.signal.aborted) {
      stoppedBecause = 'run time limit reached while opening streams';
      break;
    }
    if (performance.now() > budgetEnds) {
      stoppedBecause = 'time budget for opening streams used up';
      break;
    }
    const before = finishedEarly.length;
    const batch = Math.min(params.watcherBatch, params.watchers - all.length);
    // open the batch with bounded concurrent setups (sign-in, challenge, join, stream)
    let started = 0;
    await new Promise<void>((resolve) => {
      let inFlight = 0;
      const kick = () => {
        // the opening budget ends mid-batch too: leave time to hold the plateau and measure it
        const open = () => started < batch && performance.now() < budgetEnds && !abort.signal.aborted;
        if (!open() && inFlight === 0) return resolve();
        while (inFlight < params.setupConcurrency && open()) {
          started++;
          inFlight++;
          // a watcher counts as set up once its first queue event has arrived (or it ended)
          let onFirst = () => {};
          const ready = new Promise<void>((r) => {
            onFirst = r;
          });
          const p = launch(true, () => onFirst());
          p.then((r) => {
            // a watcher that ended before the stop signal failed to hold its stream
            if (!abort.signal.aborted) finishedEarly.push(r);
          });
          all.push(p);
          void Promise.race([ready, p]).then(() => {
            inFlight--;
            if (!open() && inFlight === 0) resolve();
            else kick();
          });
        }
      };
      kick();
    });
    await sleep(300);
    failed = finishedEarly.length;
    const s = await probe.sample();
    log(
      `  watchers: ${all.length - failed} open (app reports ${s.sseConnections}), ${failed} failed, rss ${s.appRssMb?.toFixed(0)} MB`,
    );
    if (finishedEarly.length - before > batch * 0.05) {
      stoppedBecause = `more than 5 % of a batch failed (${finishedEarly.length - before} of ${batch}): ${
        finishedEarly.at(-1)?.lastCode ?? finishedEarly.at(-1)?.state
      }`;
      break;
    }
  }
  const e0 = events();
  const h0 = performance.now();
  await sleep(params.holdSeconds * 1_000);
  const eventsPerSecond = ((events() - e0) / (performance.now() - h0)) * 1_000;
  const plateau = await probe.sample();
  const peak = Math.max(0, ...probe.samples.map((s) => s.sseConnections ?? 0));
  const rssPeak = Math.max(0, ...probe.samples.map((s) => s.appRssMb ?? 0));
  abort.abort();
  await Promise.all(all);
  return {
    target: params.watchers,
    peakConnections: peak,
    openedByLab: all.length - failed,
    failedToOpen: failed,
    rssBaselineMb: baseline,
    rssPeakMb: rssPeak || null,
    kbPerConnection: baseline !== null && peak > 0 ? ((rssPeak - baseline) * 1024) / peak : null,
    eventsPerSecond,
    metricsMsAtPlateau: plateau.metricsMs,
    stoppedBecause,
  };
}
