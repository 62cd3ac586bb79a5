import type { ServerSample } from '../probe';
import { STEPS } from '../recorder';
import type { RunResult } from '../runner';

const ms = (v: number) => (v >= 1_000 ? `${(v / 1_000).toFixed(2)}s` : `${v.toFixed(v >= 100 ? 0 : 1)}ms`);
const pad = (s: string | number, n: number) => String(s).padStart(n);

/** Peak and mean of one server figure over the run (nulls skipped). */
export function serverStat(samples: ServerSample[], pick: (s: ServerSample) => number | null) {
  const values = samples.map(pick).filter((v): v is number => v !== null && Number.isFinite(v));
  if (values.length === 0) return null;
  return {
    peak: Math.max(...values),
    mean: values.reduce((a, b) => a + b, 0) / values.length,
    first: values[0]!,
    last: values.at(-1)!,
  };
}

/** The run's mode in words. */
export function modeOf(result: RunResult): string {
  const base = result.meta.mode === 'servers' ? 'Redis + Kafka + PostgreSQL' : 'embedded in-memory';
  const n = result.instances?.length ?? 1;
  return n > 1 ? `${base} · ${n} instances behind a round-robin proxy` : base;
}

/**
 * One line per instance of a multi-instance run (CPU, RSS, event loop, SSE streams, requests the
 * proxy sent it), their CPU summed, and the takeover when the loop's owner was killed.
 */
export function instanceLines(result: RunResult): string[] {
  const list = result.instances ?? [];
  if (list.length === 0) return [];
  const f = (v: number | undefined, d = 0) => (v === undefined ? '?' : v.toFixed(d));
  const lines = list.map((i) => {
    const cpu = serverStat(i.samples, (s) => s.appCpuPct);
    const rss = serverStat(i.samples, (s) => s.appRssMb);
    const loop = serverStat(i.samples, (s) => s.eventLoopP99Ms);
    const sse = serverStat(i.samples, (s) => s.sseConnections);
    return `  instance ${i.index} (pid ${i.pid}${i.figuresFrom ? ', sale figures' : ''}${i.killedAtS !== null ? `, SIGKILLed at ${i.killedAtS.toFixed(1)} s` : ''}): CPU mean ${f(cpu?.mean)}% peak ${f(cpu?.peak)}% · RSS ${f(rss?.first)} → peak ${f(rss?.peak)} MB · event-loop p99 peak ${f(loop?.peak, 1)} ms · SSE peak ${f(sse?.peak)} · ${i.forwarded} requests via the proxy`;
  });
  const total = list.reduce((sum, i) => sum + (serverStat(i.samples, (s) => s.appCpuPct)?.mean ?? 0), 0);
  lines.unshift(
    `instances: ${list.length}, CPU mean summed ${total.toFixed(0)}% (of ${result.meta.machine.cpus * 100}%) · proxy: ${result.proxyUpstreamErrors ?? 0} requests cut (instance refused, reset or gone)`,
  );
  const x = result.failover;
  if (x) {
    lines.push(
      x.killed === null
        ? '  loop owner kill: no instance reported owning the admission loop; nobody killed'
        : `  loop owner kill: instance ${x.killed} SIGKILLed ${x.killedAtS.toFixed(1)} s into the load; ${x.takeoverMs === null ? 'NO takeover within 30 s' : `instance ${x.newOwner} owned the admission loop ${x.takeoverMs.toFixed(0)} ms later`}; ${x.upstreamErrors} requests found it gone at the proxy`,
    );
  }
  return lines;
}

/** The app's front door as the run set it (listen backlog, processes, client keep-alive). */
export function frontDoorLine(result: RunResult): string {
  const p = result.meta.params;
  const processes = p.processes ?? 1;
  return `front door: listen backlog ${p.listenBacklog ? p.listenBacklog : "app's default"} · ${processes} process${processes > 1 ? `es (${p.roundRobin ? 'node:cluster round robin' : 'SO_REUSEPORT'})` : ''} · accept lanes ${p.acceptLanes ? p.acceptLanes : "app's default"} · client keep-alive ${p.keepAlive === 0 ? 'off' : 'on'}${p.signInOnly ? ' · sign-in only' : ''}`;
}

/** The one-screen text summary of a run. */
export function textSummary(result: RunResult): string {
  const { meta } = result;
  const lines: string[] = [];
  const strategy = meta.strategyApplied ? meta.strategy : `${meta.strategy} requested, app ran atomic`;
  lines.push(
    `SeatRush load lab — ${meta.profile} · ${modeOf(result)} · strategy ${strategy}`,
    `${meta.startedAt} · ${meta.machine.cpus} × ${meta.machine.model} · Node ${meta.machine.node} · load ${meta.machine.load.map((l) => l.toFixed(2)).join('/')} → ${meta.machine.loadAtEnd[0]?.toFixed(2)}`,
    `load ${(meta.loadMs / 1_000).toFixed(1)} s · ${result.throughput.buyersPerSecond.toFixed(0)} buyers/s · ${result.throughput.requestsPerSecond.toFixed(0)} req/s · ${result.throughput.holdsPerSecond.toFixed(1)} holds/s`,
    '',
    `${'step'.padEnd(18)}${pad('count', 7)}${pad('/s', 7)}${pad('p50', 9)}${pad('p95', 9)}${pad('p99', 9)}${pad('max', 9)}  errors`,
  );
  for (const step of STEPS) {
    const s = result.steps[step];
    if (!s) continue;
    const total = Object.values(s.codes).reduce((a, b) => a + b, 0);
    const errors = Object.entries(s.codes)
      .filter(([code]) => code !== 'OK')
      .map(([code, n]) => `${code} ${n}`)
      .join(', ');
    lines.push(
      `${step.padEnd(18)}${pad(total, 7)}${pad(s.perSecond.toFixed(0), 7)}${pad(ms(s.p50), 9)}${pad(ms(s.p95), 9)}${pad(ms(s.p99), 9)}${pad(ms(s.maxMs), 9)}  ${errors || '-'}`,
    );
  }
  lines.push(
    '',
    `buyers: ${Object.entries(result.outcomes)
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(' · ')}`,
  );
  const retries = Object.entries(result.retries ?? {});
  if (retries.length > 0) {
    lines.push(`connection retries: ${retries.map(([code, n]) => `${code} ${n}`).join(' · ')}`);
  }
  const f = (v: number | undefined, d = 0) => (v === undefined ? '?' : v.toFixed(d));
  const cpu = serverStat(result.server, (s) => s.appCpuPct);
  const lab = serverStat(result.server, (s) => s.labCpuPct);
  const rss = serverStat(result.server, (s) => s.appRssMb);
  const loop = serverStat(result.server, (s) => s.eventLoopP99Ms);
  const lag = serverStat(result.server, (s) => s.consumerLag);
  const pg = serverStat(result.server, (s) => s.pgWaiting);
  const redis = serverStat(result.server, (s) => s.redisUsedMb);
  const ops = serverStat(result.server, (s) => s.redisOpsPerSec);
  const sse = serverStat(result.server, (s) => s.sseConnections);
  const overflows = serverStat(result.server, (s) => s.listenOverflows);
  const syn = serverStat(result.server, (s) => s.synRetrans);
  const drops = serverStat(result.server, (s) => s.listenDrops ?? null);
  if (overflows && syn && (overflows.last > overflows.first || syn.last > syn.first)) {
    lines.push(
      `kernel (whole machine): ${overflows.last - overflows.first} accept-queue overflows${drops ? ` (${drops.last - drops.first} listen drops)` : ''}, ${syn.last - syn.first} SYN retransmits during the run`,
    );
  } else if (overflows && syn) {
    lines.push('kernel (whole machine): no accept-queue overflow, no SYN retransmit during the run');
  }
  lines.push(frontDoorLine(result));
  const waiting = serverStat(result.server, (s) => s.acceptQueue ?? null);
  const labLoop = serverStat(result.server, (s) => s.labLoopMaxMs ?? null);
  if (waiting || labLoop) {
    lines.push(
      `waiting outside the app: accept queue peak ${f(waiting?.peak)} connections (sampled each second) · the lab's own event-loop delay peak ${f(labLoop?.peak)} ms, mean of the seconds' maxima ${f(labLoop?.mean)} ms (in every timed step; a real buyer's own machine has none)`,
    );
  }
  lines.push(
    `app: CPU mean ${f(cpu?.mean)}% peak ${f(cpu?.peak)}% (lab ${f(lab?.mean)}%) · RSS ${f(rss?.first)} → peak ${f(rss?.peak)} MB · event-loop p99 peak ${f(loop?.peak, 1)} ms · SSE peak ${f(sse?.peak)}`,
    `pipeline: Kafka lag peak ${f(lag?.peak)} · PG pool waiting peak ${f(pg?.peak)}${redis ? ` · Redis used ${f(redis.peak, 1)} MB, ops/s peak ${f(ops?.peak)}` : ''}`,
  );
  lines.push(...instanceLines(result));
  const readSide = readSideLine(result.instances?.map((i) => i.samples) ?? [result.server]);
  if (readSide) lines.push(readSide);
  if (result.figures) {
    const x = result.figures;
    lines.push(
      `sale: stock ${x.initialStock} · confirmed ${x.confirmed} · available ${x.available} · held ${x.held}${result.reconciliation ? ` · truth confirmed ${result.reconciliation.truthConfirmed}` : ''}`,
    );
  }
  if (result.watchers) {
    const w = result.watchers;
    lines.push(
      `watchers: ${w.peakConnections} concurrent SSE connections held (target ${w.target}, ${w.failedToOpen} failed) · ${w.kbPerConnection?.toFixed(1) ?? '?'} KB RSS per connection · fan-out ${w.eventsPerSecond.toFixed(0)} events/s · /metrics ${w.metricsMsAtPlateau?.toFixed(0) ?? '?'} ms at plateau · stopped: ${w.stoppedBecause}`,
    );
  }
  if (result.soak) {
    const s = result.soak;
    lines.push(
      `soak: RSS ${f(s.rssStartMb ?? undefined)} → ${f(s.rssEndMb ?? undefined)} MB · fds ${s.fdsStart} → ${s.fdsEnd}`,
    );
  }
  if (result.cpuProfile) {
    const p = result.cpuProfile;
    lines.push(
      `app CPU profile (${(p.busyMs / 1_000).toFixed(1)} s busy): ${p.areas
        .slice(0, 6)
        .map((a) => `${a.area} ${a.pct}%`)
        .join(' · ')}`,
      `  by caller: ${p.callers
        .slice(0, 4)
        .map((c) => `${c.caller} ${c.pct}%`)
        .join(' · ')}`,
      `  hottest: ${p.functions
        .slice(0, 4)
        .map((f) => `${f.name} ${f.pct}%`)
        .join(' · ')}`,
    );
  }
  const failing = result.invariant.checks.filter((c) => !c.ok);
  lines.push(
    '',
    result.invariant.ok
      ? `invariant HOLDS (${result.invariant.checks.length} checks: no oversell, one final state each, truth agrees)`
      : `invariant VIOLATED: ${failing.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
  );
  return lines.join('\n');
}

/** Side-by-side summary of runs of the same profile (the strategy comparison). */
export function compareText(results: RunResult[]): string {
  const rows: Array<[string, (r: RunResult) => string]> = [
    ['strategy', (r) => (r.meta.strategyApplied ? r.meta.strategy : `${r.meta.strategy} (not applied)`)],
    ['reserve p50', (r) => ms(r.steps.reserve?.p50 ?? 0)],
    ['reserve p99', (r) => ms(r.steps.reserve?.p99 ?? 0)],
    ['reserve /s', (r) => (r.steps.reserve?.perSecond ?? 0).toFixed(0)],
    ['holds /s', (r) => r.throughput.holdsPerSecond.toFixed(1)],
    ['end-to-end p99', (r) => ms(r.steps.end_to_end?.p99 ?? 0)],
    ['confirmed', (r) => String(r.figures?.confirmed ?? '?')],
    ['app CPU mean %', (r) => appCpuMean(r).toFixed(0)],
    ['invariant', (r) => (r.invariant.ok ? 'holds' : 'VIOLATED')],
  ];
  return rows
    .map(([name, value]) => `${name.padEnd(16)}${results.map((r) => value(r).padStart(22)).join('')}`)
    .join('\n');
}

/** The app's mean CPU (% of one core): summed over the instances of a multi-instance run. */
export function appCpuMean(result: RunResult): number {
  const samples = result.instances?.map((i) => i.samples) ?? [result.server];
  return samples.reduce((sum, list) => sum + (serverStat(list, (s) => s.appCpuPct)?.mean ?? 0), 0);
}

/**
 * The app's read side over the run (real servers only), from each instance's samples: the
 * projector's lag and the views' staleness at their peak, and the reads served from the hot store
 * during the run because the views were staler than the bound (counters: last sample minus first,
 * summed over instances). Null without a read side.
 */
export function readSideLine(instances: ServerSample[][]): string | null {
  const all = instances.flat();
  const lag = serverStat(all, (s) => s.projectorLag ?? null);
  if (!lag) return null;
  const staleness = serverStat(all, (s) => s.readSideStalenessS ?? null);
  const during = (pick: (s: ServerSample) => number | null) => {
    const stats = instances.map((samples) => serverStat(samples, pick));
    return stats.some((x) => x === null)
      ? '?'
      : String(stats.reduce((sum, x) => sum + x!.last - x!.first, 0));
  };
  return `read side: projector lag peak ${lag.peak} · staleness peak ${staleness ? `${staleness.peak.toFixed(1)} s` : '?'} · reads from the hot store (views past the bound) during the run: seat map ${during((s) => s.seatMapFallbacks ?? null)}, stats ${during((s) => s.statsFallbacks ?? null)}`;
}
