import { randomBytes } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type AppProcess, type ServerEnv, startApp, strategySupported } from './app-process';
import { type BuyerResult, VirtualBuyer } from './buyer';
import { type CpuProfileSummary, summariseCpuProfile } from './cpu-profile';
import { LabHttpClient } from './http-client';
import { checkInvariant, type InvariantReport } from './invariant';
import { machine, ServerProbe, type ServerSample } from './probe';
import type { ProfileName, ProfileParams } from './profiles';
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
  soak?: {
    rssStartMb: number | null;
    rssEndMb: number | null;
    fdsStart: number | null;
    fdsEnd: number | null;
  };
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
  const app: AppProcess = await startApp({
    ...(profileDir ? { cpuProfileDir: profileDir } : {}),
    servers: options.servers,
    powDifficulty: params.powDifficulty,
    paymentLatencyMs: params.paymentLatencyMs,
    paymentFailureRate: params.paymentFailureRate,
    strategy,
    ...(params.checkout ? { env: { CHECKOUT: 'buyer' } } : {}),
  });
  const client = new LabHttpClient(app.baseUrl, {
    sourceAddresses: params.sourceAddresses,
    requestSockets: params.requestSockets,
  });
  // the probe has a connection of its own: behind the buyers' pool it would see nothing when it matters
  const probeClient = new LabHttpClient(app.baseUrl, { requestSockets: 2, timeoutMs: 2_000 });
  const probe = new ServerProbe(probeClient, {
    pid: app.pid,
    redisUrl: options.servers?.REDIS_URL ?? null,
    startedAt: t0,
  });
  let result: RunResult;
  try {
    const operator = new OperatorApi(client, app.operatorToken);
    const saleId = `lab-${randomBytes(3).toString('hex')}`;
    await operator.prepare({
      id: saleId,
      seats: params.seats,
      admitPerTick: params.admitPerTick,
      tickMs: params.tickMs,
      maxActive: params.maxActive,
      holdMs: params.holdMs,
    });
    const recorder = new Recorder();
    client.onConnect = (ms) => recorder.record('tcp_connect', ms);
    probe.start();
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
          `confirmed ${s?.confirmed ?? '?'} app cpu ${s?.appCpuPct?.toFixed(0) ?? '?'}% rss ${s?.appRssMb?.toFixed(0) ?? '?'} MB`,
      );
    }, 5_000);
    const loadStarted = performance.now();
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
    await probe.sample();
    probe.stop();
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
    probe.stop();
    client.close();
    probeClient.close();
    await app.stop();
  }
  // the profile is written when the app exits
  if (profileDir) result.cpuProfile = await summariseCpuProfile(profileDir);
  return result;
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
