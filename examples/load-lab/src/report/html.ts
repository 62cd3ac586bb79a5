import type { ServerSample } from '../probe';
import { STEPS, type Step } from '../recorder';
import type { RunResult } from '../runner';
import { escapeHtml, lineChart, type Series } from './svg';
import { compareText, textSummary } from './text';

const CHART_STEPS: Step[] = ['login', 'join', 'queue_stream_open', 'seat_map', 'reserve', 'result_wait'];

function latencySeries(result: RunResult, quantile: 'p50' | 'p99', prefix = ''): Series[] {
  return CHART_STEPS.map((step) => ({
    name: `${prefix}${step} ${quantile}`,
    points: result.timeline
      .filter((p) => p.steps[step])
      .map((p) => [p.t, p.steps[step]![quantile]] as [number, number]),
  }));
}

function serverSeries(result: RunResult, name: string, pick: (s: ServerSample) => number | null): Series {
  return {
    name,
    points: result.server.filter((s) => pick(s) !== null).map((s) => [s.t, pick(s)!] as [number, number]),
  };
}

function stepTable(result: RunResult): string {
  const rows = STEPS.filter((s) => result.steps[s]).map((step) => {
    const s = result.steps[step]!;
    const codes = Object.entries(s.codes)
      .map(([c, n]) => `${escapeHtml(c)}&nbsp;${n}`)
      .join(', ');
    const f = (v: number) => v.toFixed(1);
    return `<tr><td>${step}</td><td>${s.count}</td><td>${s.perSecond.toFixed(1)}</td><td>${f(s.p50)}</td><td>${f(s.p95)}</td><td>${f(s.p99)}</td><td>${f(s.p999)}</td><td>${f(s.maxMs)}</td><td>${codes}</td></tr>`;
  });
  return `<table><thead><tr><th>step</th><th>ok</th><th>/s</th><th>p50 ms</th><th>p95 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th><th>answers by code</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

function invariantTable(result: RunResult): string {
  const rows = result.invariant.checks.map(
    (c) =>
      `<tr class="${c.ok ? 'ok' : 'bad'}"><td>${c.ok ? '✔' : '✘'}</td><td>${escapeHtml(c.name)}</td><td>${escapeHtml(c.detail)}</td></tr>`,
  );
  return `<table><tbody>${rows.join('')}</tbody></table>`;
}

function profileTables(result: RunResult): string {
  const p = result.cpuProfile!;
  const areas = p.areas.map(
    (a) => `<tr><td>${escapeHtml(a.area)}</td><td>${a.selfMs}</td><td>${a.pct}</td></tr>`,
  );
  const fns = p.functions.map(
    (f) =>
      `<tr><td>${escapeHtml(f.name)}</td><td>${f.selfMs}</td><td>${f.pct}</td><td>${escapeHtml(f.where)}</td></tr>`,
  );
  const callers = p.callers.map(
    (c) => `<tr><td>${escapeHtml(c.caller)}</td><td>${c.selfMs}</td><td>${c.pct}</td></tr>`,
  );
  return `<h2>Where the app spent its CPU (${(p.busyMs / 1_000).toFixed(1)} s busy, self time)</h2>
<table><thead><tr><th>area</th><th>ms</th><th>%</th></tr></thead><tbody>${areas.join('')}</tbody></table>
<table><thead><tr><th>function</th><th>ms</th><th>%</th><th>where</th></tr></thead><tbody>${fns.join('')}</tbody></table>
<table><thead><tr><th>charged to the nearest caller outside Node and native code</th><th>ms</th><th>%</th></tr></thead><tbody>${callers.join('')}</tbody></table>`;
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1340px;color:#111827;padding:0 16px}
h1{font-size:20px}h2{font-size:16px;margin-top:28px}pre{background:#f3f4f6;padding:12px;overflow:auto;font-size:12px}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #e5e7eb;padding:3px 8px;text-align:right}
td:first-child,th:first-child,td:last-child{text-align:left}.ok td:first-child{color:#16a34a}.bad{background:#fef2f2}.bad td:first-child{color:#dc2626}
.charts{display:flex;flex-wrap:wrap;gap:12px}.verdict{font-weight:700}.verdict.ok{color:#16a34a}.verdict.bad{color:#dc2626}`;

/** Every chart of one run. */
function charts(result: RunResult): string {
  const t = 'seconds since start';
  const throughput: Series[] = CHART_STEPS.map((step) => ({
    name: step,
    points: result.timeline.map((p) => [p.t, p.steps[step]?.count ?? 0] as [number, number]),
  }));
  return [
    lineChart({
      title: 'Latency over time (p50)',
      xLabel: t,
      yLabel: 'ms',
      series: latencySeries(result, 'p50'),
    }),
    lineChart({
      title: 'Latency over time (p99)',
      xLabel: t,
      yLabel: 'ms',
      series: latencySeries(result, 'p99'),
    }),
    lineChart({ title: 'Throughput per step', xLabel: t, yLabel: 'completions / s', series: throughput }),
    lineChart({
      title: 'Pipeline: Kafka consumer lag, holds, PG pool waits',
      xLabel: t,
      yLabel: 'count',
      series: [
        serverSeries(result, 'consumer lag', (s) => s.consumerLag),
        serverSeries(result, 'held', (s) => s.held),
        serverSeries(result, 'confirmed', (s) => s.confirmed),
        serverSeries(result, 'pg pool waiting', (s) => s.pgWaiting),
      ],
    }),
    lineChart({
      title: 'Memory',
      xLabel: t,
      yLabel: 'MB',
      series: [
        serverSeries(result, 'app RSS', (s) => s.appRssMb),
        serverSeries(result, 'Redis used', (s) => s.redisUsedMb),
      ],
    }),
    lineChart({
      title: 'CPU (% of one core) and load',
      xLabel: t,
      yLabel: '%',
      series: [
        serverSeries(result, 'app', (s) => s.appCpuPct),
        serverSeries(result, 'load generator', (s) => s.labCpuPct),
        serverSeries(result, 'load1 × 100', (s) => s.load1 * 100),
      ],
    }),
    ...(result.instances
      ? [
          lineChart({
            title: 'CPU per instance (% of one core)',
            xLabel: t,
            yLabel: '%',
            series: result.instances.map((i) => ({
              name: `instance ${i.index}`,
              points: i.samples
                .filter((s) => s.appCpuPct !== null)
                .map((s) => [s.t, s.appCpuPct!] as [number, number]),
            })),
          }),
        ]
      : []),
    lineChart({
      title: 'Connections and queue',
      xLabel: t,
      yLabel: 'count',
      series: [
        serverSeries(result, 'SSE streams', (s) => s.sseConnections),
        serverSeries(result, 'waiting', (s) => s.queueWaiting),
        serverSeries(result, 'admitted', (s) => s.queueActive),
        serverSeries(result, 'open fds', (s) => s.appFds),
      ],
    }),
    lineChart({
      title: 'Responsiveness',
      xLabel: t,
      yLabel: 'ms',
      series: [
        serverSeries(result, 'event-loop p99', (s) => s.eventLoopP99Ms),
        serverSeries(result, '/metrics answer', (s) => s.metricsMs),
      ],
    }),
  ].join('');
}

/** A self-contained HTML report of one run: summary, tables, inline SVG charts, parameters. */
export function htmlReport(result: RunResult): string {
  const ok = result.invariant.ok;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SeatRush load lab — ${escapeHtml(result.meta.label)}</title><style>${STYLE}</style></head><body>
<h1>SeatRush load lab — ${escapeHtml(result.meta.label)}</h1>
<p class="verdict ${ok ? 'ok' : 'bad'}">Invariant ${ok ? 'holds' : 'VIOLATED'}</p>
<pre>${escapeHtml(textSummary(result))}</pre>
<h2>Steps of the flow</h2>${stepTable(result)}
<h2>Charts</h2><div class="charts">${charts(result)}</div>
<h2>Invariant</h2>${invariantTable(result)}
${result.cpuProfile ? profileTables(result) : ''}
<h2>Parameters</h2><pre>${escapeHtml(JSON.stringify(result.meta.params, null, 2))}</pre>
</body></html>`;
}

/** The comparison report: the runs' key figures side by side and their reserve latency overlaid. */
export function compareReport(results: RunResult[]): string {
  const t = 'seconds since start';
  const overlay = (step: Step, q: 'p50' | 'p99'): Series[] =>
    results.map((r) => ({
      name: `${r.meta.label} ${q}`,
      points: r.timeline
        .filter((p) => p.steps[step])
        .map((p) => [p.t, p.steps[step]![q]] as [number, number]),
    }));
  const notApplied = results.filter((r) => !r.meta.strategyApplied);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SeatRush load lab — comparison</title><style>${STYLE}</style></head><body>
<h1>SeatRush load lab — ${escapeHtml(results.map((r) => r.meta.label).join(' vs '))}</h1>
${notApplied.length > 0 ? `<p class="verdict bad">The app did not apply the requested strategy in ${notApplied.map((r) => escapeHtml(r.meta.label)).join(', ')}: it has no RESERVE_STRATEGY setting and ran its default (atomic).</p>` : ''}
<pre>${escapeHtml(compareText(results))}</pre>
<div class="charts">${lineChart({ title: 'reserve p50', xLabel: t, yLabel: 'ms', series: overlay('reserve', 'p50') })}${lineChart({ title: 'reserve p99', xLabel: t, yLabel: 'ms', series: overlay('reserve', 'p99') })}${lineChart(
    {
      title: 'app CPU',
      xLabel: t,
      yLabel: '%',
      series: results.map((r) => serverSeries(r, r.meta.label, (s) => s.appCpuPct)),
    },
  )}${lineChart({ title: 'Kafka consumer lag', xLabel: t, yLabel: 'events', series: results.map((r) => serverSeries(r, r.meta.label, (s) => s.consumerLag)) })}</div>
${results.map((r) => `<h2>${escapeHtml(r.meta.label)}</h2>${stepTable(r)}${invariantTable(r)}`).join('')}
</body></html>`;
}
