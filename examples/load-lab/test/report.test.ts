import { describe, expect, it } from 'vitest';
import { DEFAULT_BEHAVIOUR } from '../src/buyer';
import { assertLoopback, parseSseBlock } from '../src/http-client';
import { promValue } from '../src/probe';
import { applyOverrides, PROFILE_DEFAULTS } from '../src/profiles';
import { Recorder } from '../src/recorder';
import { compareReport, htmlReport } from '../src/report/html';
import { lineChart } from '../src/report/svg';
import { readSideLine, textSummary } from '../src/report/text';
import type { RunResult } from '../src/runner';

function fixture(over: Partial<RunResult['meta']> = {}): RunResult {
  const recorder = new Recorder(0);
  for (let i = 0; i < 300; i++) {
    recorder.record('login', 5 + (i % 10), 'OK', i * 10);
    recorder.record('reserve', 10 + (i % 50), i % 7 === 0 ? 'SEAT_TAKEN' : 'OK', i * 10);
  }
  return {
    meta: {
      profile: 'spike',
      label: 'spike <atomic>',
      startedAt: '2026-11-24T16:00:00.000Z',
      durationMs: 5_000,
      loadMs: 3_000,
      mode: 'servers',
      strategy: 'atomic',
      strategyApplied: true,
      namespace: 'lab_x',
      machine: { cpus: 2, model: 'cpu', memoryGb: 24, node: 'v24', load: [1.5], loadAtEnd: [2] },
      params: { ...PROFILE_DEFAULTS.spike, behaviour: DEFAULT_BEHAVIOUR },
      ...over,
    },
    steps: recorder.steps(3_000),
    outcomes: { CONFIRMED: 10, SOLD_OUT: 290 },
    retries: { ECONNRESET: 4 },
    throughput: { buyersPerSecond: 100, requestsPerSecond: 400, holdsPerSecond: 3.3 },
    timeline: recorder.timeline(),
    server: [0, 1, 2].map((t) => ({
      t,
      appCpuPct: 50 + t,
      appRssMb: 100 + t,
      appFds: 40,
      labCpuPct: 20,
      load1: 1.5,
      sseConnections: 10 * t,
      consumerLag: t,
      pgWaiting: 0,
      pgTotal: 5,
      eventLoopP99Ms: 12,
      queueWaiting: 5,
      queueActive: 3,
      held: 2,
      confirmed: t,
      redisUsedMb: 3,
      redisOpsPerSec: 900,
      redisClients: 12,
      metricsMs: 4,
      listenOverflows: 100 + 10 * t,
      synRetrans: 7,
    })),
    figures: {
      waiting: 0,
      active: 0,
      initialStock: 200,
      available: 190,
      held: 0,
      confirmed: 10,
      failed: 0,
      consumerLag: 0,
      sseConnections: 0,
    },
    reconciliation: null,
    invariant: {
      ok: false,
      checks: [{ name: 'no seat sold twice', ok: false, detail: '11 seats, 10 distinct' }],
    },
  };
}

describe('reports', () => {
  it('write a self-contained HTML page: inline SVG charts, no external resource, escaped text', () => {
    const html = htmlReport(fixture());
    expect(html.match(/<svg /g)?.length).toBeGreaterThanOrEqual(6);
    expect(html).not.toMatch(/<script|<link|src=|url\(/);
    expect(html).toContain('spike &#60;atomic&#62;');
    expect(html).not.toContain('spike <atomic>');
    expect(html).toContain('Invariant VIOLATED');
    expect(html).toContain('11 seats, 10 distinct');
  });

  it('summarise a run on one screen with the steps, the outcomes and the verdict', () => {
    const text = textSummary(fixture());
    const lines = text.split('\n');
    expect(lines.length).toBeLessThanOrEqual(30);
    expect(lines.every((l) => l.length <= 200)).toBe(true);
    const reserve = lines.find((l) => l.startsWith('reserve'));
    expect(reserve).toContain('SEAT_TAKEN 43');
    expect(text).toContain('CONFIRMED 10 · SOLD_OUT 290'.split(' · ')[0]);
    expect(text).toContain('invariant VIOLATED: no seat sold twice');
    expect(text).toContain('Redis + Kafka + PostgreSQL');
    expect(text).toContain('connection retries: ECONNRESET 4');
    expect(text).toContain('20 accept-queue overflows, 0 SYN retransmits');
  });

  it("report the app's read side from its /metrics: lag, staleness and the run's fallbacks, summed over instances", () => {
    const run = fixture();
    expect(textSummary(run)).not.toContain('read side:');
    const readSide = (fallbacks: number[]) =>
      run.server.map((sample, i) => ({
        ...sample,
        projectorLag: [0, 40, 3][i]!,
        readSideStalenessS: [0.4, 6.2, 0.9][i]!,
        seatMapFallbacks: fallbacks[i]!,
        statsFallbacks: 2,
      }));
    run.server = readSide([5, 9, 12]);
    const line = textSummary(run)
      .split('\n')
      .find((l) => l.startsWith('read side:'));
    expect(line).toBe(
      'read side: projector lag peak 40 · staleness peak 6.2 s · reads from the hot store (views past the bound) during the run: seat map 7, stats 0',
    );
    expect(readSideLine([readSide([5, 9, 12]), readSide([0, 1, 3])])).toContain('seat map 10, stats 0');
    const metrics = [
      'seatrush_read_side_fallbacks_total{read="seat-map"} 7',
      'seatrush_read_side_fallbacks_total{read="stats"} 3',
    ].join('\n');
    expect(promValue(metrics, 'seatrush_read_side_fallbacks_total', { read: 'seat-map' })).toBe(7);
    expect(promValue(metrics, 'seatrush_read_side_fallbacks_total', { read: 'stats' })).toBe(3);
  });

  it('say so when a comparison run could not apply the strategy it asked for', () => {
    const html = compareReport([
      fixture(),
      fixture({ strategy: 'lock', strategyApplied: false, label: 'spike lock' }),
    ]);
    expect(html).toContain('did not apply the requested strategy in spike lock');
    expect(html).toContain('lock (not applied)');
  });

  it('draw a chart with one polyline per non-empty series, or say there is no data', () => {
    const svg = lineChart({
      title: 't',
      xLabel: 'x',
      yLabel: 'y',
      series: [
        {
          name: 'a',
          points: [
            [0, 1],
            [1, 2],
          ],
        },
        { name: 'empty', points: [] },
      ],
    });
    expect(svg.match(/<polyline/g)).toHaveLength(1);
    expect(lineChart({ title: 't', xLabel: 'x', yLabel: 'y', series: [] })).toContain('no data');
  });
});

describe('parsing and parameters', () => {
  it('reads Prometheus samples by name and labels', () => {
    const text = [
      '# HELP seatrush_consumer_lag lag',
      'seatrush_consumer_lag 7',
      'seatrush_consumer_lag_total 99',
      'seatrush_pool_connections{pool="postgres",state="waiting"} 3',
      'seatrush_pool_connections{pool="postgres",state="total"} 20',
      'seatrush_stock_units{sale="a",state="held"} 2',
      'seatrush_stock_units{sale="b",state="held"} 5',
    ].join('\n');
    expect(promValue(text, 'seatrush_consumer_lag')).toBe(7);
    expect(promValue(text, 'seatrush_pool_connections', { state: 'waiting' })).toBe(3);
    expect(promValue(text, 'seatrush_stock_units', { state: 'held' })).toBe(7);
    expect(promValue(text, 'seatrush_missing')).toBeNull();
  });

  it('parses SSE blocks', () => {
    expect(parseSseBlock('event: queue\ndata: {"ahead":3}')).toEqual({ event: 'queue', data: { ahead: 3 } });
    expect(parseSseBlock('retry: 2000')).toBeNull();
    expect(parseSseBlock(': keep-alive')).toBeNull();
  });

  it('refuses every target off loopback', () => {
    expect(() => assertLoopback('http://127.0.0.1:3000')).not.toThrow();
    expect(() => assertLoopback('http://127.9.0.1:3000')).not.toThrow();
    expect(() => assertLoopback('http://[::1]:3000')).not.toThrow();
    expect(() => assertLoopback('http://localhost:3000')).not.toThrow();
    for (const bad of [
      'http://10.0.0.1',
      'http://example.com',
      'https://127.0.0.1',
      'http://127.0.0.1.example.com',
    ]) {
      expect(() => assertLoopback(bad)).toThrow(/refusing target/);
    }
  });

  it('applies overrides and lists every unknown or bad one', () => {
    const p = applyOverrides(PROFILE_DEFAULTS.ramp, {
      rampSteps: '10,20',
      seats: '7',
      'behaviour.thinkMs': '0,5',
      'behaviour.replayRate': '0.5',
    });
    expect(p.rampSteps).toEqual([10, 20]);
    expect(p.seats).toBe(7);
    expect(p.behaviour.thinkMs).toEqual([0, 5]);
    expect(p.behaviour.replayRate).toBe(0.5);
    expect(PROFILE_DEFAULTS.ramp.behaviour.replayRate).not.toBe(0.5);
    expect(() => applyOverrides(PROFILE_DEFAULTS.ramp, { sets: '1', buyers: 'x' })).toThrow(
      /unknown parameter --sets; --buyers must be a non-negative number/,
    );
  });
});

describe('CPU profile summary', () => {
  it('sums self time by function and by area, idle left out', async () => {
    const { mkdtemp, writeFile } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { summariseCpuProfile, areaOf } = await import('../src/cpu-profile');
    const dir = await mkdtemp(join(tmpdir(), 'lab-prof-'));
    const frame = (functionName: string, url: string) => ({
      functionName,
      url,
      lineNumber: 9,
      columnNumber: 0,
      scriptId: '1',
    });
    await writeFile(
      join(dir, 'CPU.1.cpuprofile'),
      JSON.stringify({
        startTime: 0,
        endTime: 10_000_000,
        samples: Array.from({ length: 10_000 }, () => 1),
        nodes: [
          { id: 1, callFrame: frame('(idle)', ''), hitCount: 5_000 },
          {
            id: 2,
            callFrame: frame('evalsha', '/w/node_modules/.pnpm/ioredis@5/node_modules/ioredis/built/x.js'),
            hitCount: 2_000,
            children: [5],
          },
          { id: 5, callFrame: frame('writeUtf8String', ''), hitCount: 1_000 },
          { id: 3, callFrame: frame('reserve', '/w/packages/core/src/reserve.ts'), hitCount: 1_500 },
          { id: 4, callFrame: frame('(garbage collector)', ''), hitCount: 500 },
        ],
      }),
    );
    const summary = await summariseCpuProfile(dir);
    expect(summary?.busyMs).toBe(5_000);
    expect(summary?.areas).toEqual([
      { area: 'ioredis', selfMs: 2_000, pct: 40 },
      { area: '@seatrush/core', selfMs: 1_500, pct: 30 },
      { area: '(native)', selfMs: 1_000, pct: 20 },
      { area: '(garbage collector)', selfMs: 500, pct: 10 },
    ]);
    expect(summary?.functions[0]).toMatchObject({ name: 'evalsha', where: 'built/x.js:10', pct: 40 });
    // the native write is charged to its JavaScript caller
    expect(summary?.callers[0]).toEqual({ caller: 'evalsha built/x.js:10', selfMs: 3_000, pct: 60 });
    expect(areaOf('node:internal/http', 'f')).toBe('node internals');
    expect(await summariseCpuProfile(join(dir, 'missing'))).toBeNull();
  });
});
