/** One line of a chart. */
export interface Series {
  name: string;
  points: Array<[number, number]>;
}

const COLOURS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#be185d', '#4b5563'];

/** Escapes text for HTML and SVG. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A readable tick value: 0, 0.5, 12, 1.2k, 3.4M. */
export function formatTick(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (a >= 1e4) return `${(v / 1e3).toFixed(0)}k`;
  if (a >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  if (a >= 10 || v === 0) return v.toFixed(0);
  return v.toFixed(a >= 1 ? 1 : 2);
}

/**
 * A self-contained SVG line chart (no script, no external file): axes with five ticks each, one
 * polyline per series, a legend. Empty series are left out; a chart with nothing says so.
 */
export function lineChart(options: {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}): string {
  const series = options.series.filter((s) => s.points.length > 0);
  const W = 640;
  // the plot, then one legend row per four series below it
  const P = 220;
  const H = P + 14 * Math.max(1, Math.ceil(series.length / 4));
  const left = 56;
  const right = 12;
  const top = 28;
  const bottom = 44;
  const head = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${escapeHtml(options.title)}"><text x="${left}" y="16" font-size="13" font-weight="600">${escapeHtml(options.title)}</text>`;
  if (series.length === 0) {
    return `${head}<text x="${W / 2}" y="${H / 2}" text-anchor="middle" fill="#6b7280" font-size="12">no data</text></svg>`;
  }
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => p[1]));
  const x0 = Math.min(...xs);
  const x1 = Math.max(...xs, x0 + 1);
  const y1 = Math.max(...ys, 0) * 1.08 || 1;
  const px = (x: number) => left + ((x - x0) / (x1 - x0)) * (W - left - right);
  const py = (y: number) => top + (1 - y / y1) * (P - top - bottom);
  const parts: string[] = [head];
  for (let i = 0; i <= 4; i++) {
    const yv = (y1 * i) / 4;
    const xv = x0 + ((x1 - x0) * i) / 4;
    parts.push(
      `<line x1="${left}" x2="${W - right}" y1="${py(yv).toFixed(1)}" y2="${py(yv).toFixed(1)}" stroke="#e5e7eb"/>`,
      `<text x="${left - 6}" y="${(py(yv) + 4).toFixed(1)}" text-anchor="end" font-size="10" fill="#374151">${formatTick(yv)}</text>`,
      `<text x="${px(xv).toFixed(1)}" y="${P - bottom + 14}" text-anchor="middle" font-size="10" fill="#374151">${formatTick(xv)}</text>`,
    );
  }
  parts.push(
    `<text x="${(left + W - right) / 2}" y="${P - bottom + 28}" text-anchor="middle" font-size="10" fill="#6b7280">${escapeHtml(options.xLabel)}</text>`,
    `<text x="12" y="${(top + P - bottom) / 2}" font-size="10" fill="#6b7280" transform="rotate(-90 12 ${(top + P - bottom) / 2})" text-anchor="middle">${escapeHtml(options.yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    const colour = COLOURS[i % COLOURS.length];
    const d = s.points.map(([x, y]) => `${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(' ');
    parts.push(
      `<polyline fill="none" stroke="${colour}" stroke-width="1.6" points="${d}"><title>${escapeHtml(s.name)}</title></polyline>`,
    );
    const lx = left + (i % 4) * 145;
    const ly = P + 4 + 14 * Math.floor(i / 4);
    parts.push(
      `<rect x="${lx}" y="${ly - 8}" width="10" height="3" fill="${colour}"/><text x="${lx + 14}" y="${ly - 4}" font-size="10">${escapeHtml(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('');
}
