// The operator dashboard: live figures of a sale over SSE, a chart of them over time, and the
// controls (warm up, open, pause, resume, close, admission rate, reconcile, dead letters).
import { api, busy, show, toast } from './lib.js';

const $ = (id) => document.getElementById(id);
const SERIES = [
  { key: 'waiting', label: 'Waiting', color: '#6c8cff' },
  { key: 'admittedPerSecond', label: 'Admitted/s ×10', color: '#c7a6ff', scale: 10 },
  { key: 'available', label: 'Stock left', color: '#3ecf8e' },
  { key: 'held', label: 'Holds', color: '#f5a623' },
  { key: 'confirmed', label: 'Confirmed', color: '#7fd1ff' },
  { key: 'failed', label: 'Failed', color: '#ff5d6c' },
  { key: 'consumerLag', label: 'Consumer lag', color: '#e8eaf6' },
  { key: 'waitingList', label: 'Waiting list', color: '#ffd166' },
];
const CARDS = [
  ['waiting', 'Waiting'],
  ['admittedPerSecond', 'Admitted / s'],
  // admitted and not yet checked out: a checkout ends the buyer's session
  ['active', 'Active buyers'],
  ['available', 'Stock left'],
  ['held', 'Holds'],
  ['confirmed', 'Confirmed'],
  ['failed', 'Failed'],
  ['waitingList', 'Waiting list'],
  ['offersOutstanding', 'Offers out'],
  ['consumerLag', 'Consumer lag'],
  ['sseConnections', 'Live streams'],
];
const HISTORY_MS = 5 * 60 * 1000;

const state = {
  saleId: null,
  history: [],
  stream: null,
  formsFilled: false,
  commands: [],
  reconciliation: null,
};
/** The lifecycle buttons, by the operator command each one sends. */
const COMMAND_BUTTONS = {
  'warm-up': 'op-warm',
  open: 'op-open',
  pause: 'op-pause',
  resume: 'op-resume',
  close: 'op-close',
};

boot().catch((error) => toast(error.message));

async function boot() {
  wire();
  // a 200 either way: not being signed in yet is no error (a 401 would be logged by the browser)
  const { signedIn } = await api('GET', '/api/operator/session');
  if (!signedIn) return show('view-op-login');
  await dashboard();
}

function wire() {
  $('op-login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('op-login-button'), async () => {
      await api('POST', '/api/operator/session', { token: $('op-token').value.trim() });
      await dashboard();
    }).catch((error) => toast(error.message));
  });
  for (const [action, id] of Object.entries(COMMAND_BUTTONS)) {
    $(id).addEventListener('click', () =>
      busy($(id), async () => {
        if (action === 'close' && !confirm('Close the sale for good?')) return;
        await api('POST', `${salePath()}/${action}`);
        toast(`Done: ${action}`, 'info');
        // the commands the new state allows now, not at the next sample
        render((await api('GET', `${salePath()}/stats`)).stats);
      })
        .catch((error) => toast(`${error.code ?? ''} ${error.message}`))
        // busy() enables the button again; the sale's state decides
        .finally(showCommands),
    );
  }
  $('op-reconcile').addEventListener('click', () =>
    busy($('op-reconcile'), async () => {
      const { reconciliation } = await api('POST', `${salePath()}/reconcile`);
      showReconciliation(reconciliation);
    }).catch((error) => toast(error.message)),
  );
  $('rate-form').addEventListener('submit', (event) => {
    event.preventDefault();
    api('PUT', `${salePath()}/admission-rate`, {
      usersPerInterval: Number($('rate-users').value),
      maxActive: Number($('rate-max').value),
    })
      .then(() => toast('Admission rate changed.', 'info'))
      .catch((error) => toast(error.message));
  });
  $('queueing-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const method = $('queueing-method').value;
    if (method === 'reject' && !confirm('Turn new buyers away (they are told the sale is sold out)?')) return;
    api('PUT', `${salePath()}/queueing`, { method })
      .then((result) => {
        $('queueing-current').textContent = result.queueing.method;
        toast(`Queueing method: ${result.queueing.method}.`, 'info');
      })
      .catch((error) => toast(error.message));
  });
  $('payment-form').addEventListener('submit', (event) => {
    event.preventDefault();
    api('PUT', '/api/operator/payment-simulator', {
      latencyMs: Number($('pay-latency').value),
      failureRate: Number($('pay-failure').value),
    })
      .then(() => toast('Payment simulator changed.', 'info'))
      .catch((error) => toast(error.message));
  });
  $('seat-audit-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('seat-audit-button'), loadSeatHistory).catch((error) => toast(error.message));
  });
  $('dash-sale').addEventListener('change', () => selectSale($('dash-sale').value));
  window.addEventListener('resize', draw);
}

const salePath = () => `/api/operator/sales/${encodeURIComponent(state.saleId)}`;

async function dashboard() {
  show('view-dashboard');
  const { sales } = await api('GET', '/api/operator/sales');
  const select = $('dash-sale');
  select.replaceChildren(...sales.map((s) => new Option(`${s.name} (${s.id})`, s.id)));
  if (sales.length) await selectSale(sales[0].id);
  await Promise.all([loadDeadLetters(), loadAlerts()]);
  setInterval(() => {
    loadDeadLetters();
    loadAlerts();
  }, 5000);
}

async function selectSale(id) {
  state.saleId = id;
  state.formsFilled = false;
  state.reconciliation = null;
  // no command until this sale's state is known
  state.commands = [];
  showCommands();
  $('reconcile-result').textContent = 'Not run yet.';
  const { stats, history } = await api('GET', `${salePath()}/stats`);
  state.history = history;
  render(stats);
  state.stream?.close();
  state.stream = new EventSource(`${salePath()}/stats/stream`);
  state.stream.addEventListener('stats', (event) => {
    const stats = JSON.parse(event.data);
    state.history.push({ at: stats.at, ...stats.figures });
    const cutoff = stats.at - HISTORY_MS;
    while (state.history.length && state.history[0].at < cutoff) state.history.shift();
    render(stats);
  });
}

function render(stats) {
  $('dash-sale-name').textContent = stats.name;
  const badge = $('dash-state');
  badge.textContent = stats.state;
  badge.className = `badge ${stats.state}`;
  state.commands = stats.commands;
  showCommands();
  if (stats.reconciliation) showReconciliation(stats.reconciliation);
  const cards = $('cards');
  cards.replaceChildren(
    ...CARDS.map(([key, label]) => {
      const card = document.createElement('div');
      card.className = 'card';
      card.dataset.figure = key;
      const value = stats.figures[key];
      card.innerHTML = `<div class="label"></div><div class="value"></div>`;
      card.querySelector('.label').textContent = label;
      card.querySelector('.value').textContent =
        value === null || value === undefined
          ? '–'
          : Number.isInteger(value)
            ? value.toLocaleString()
            : value.toFixed(1);
      return card;
    }),
  );
  $('stats-source').textContent = sourceText(stats.stock);
  $('stats-source').dataset.source = stats.stock?.source ?? '';
  // the values in force, live (another operator or instance may change them)
  $('rate-current').textContent =
    `${stats.admission.usersPerInterval} per ${stats.admission.intervalMs} ms, max ${stats.admission.maxActive}` +
    (stats.admission.paused ? ' (paused)' : '');
  $('queueing-current').textContent = stats.queueing?.method ?? '–';
  if (!state.formsFilled) {
    if (stats.queueing?.method) $('queueing-method').value = stats.queueing.method;
    $('rate-users').value = stats.admission.usersPerInterval;
    $('rate-max').value = stats.admission.maxActive;
    $('pay-latency').value = stats.payment.latencyMs;
    $('pay-failure').value = stats.payment.failureRate;
    state.formsFilled = true;
  }
  draw();
}

/** Where the stock figures were read: the read side (and how stale it may be) or the hot store. */
function sourceText(stock) {
  if (!stock) return '–';
  if (stock.source === 'hot-store')
    return stock.projectorLag === null
      ? 'Stock figures from the store.'
      : 'Stock figures from the hot store: the read side is behind its 5 s bound.';
  const staleness = stock.stalenessMs === null ? 'unknown' : `${(stock.stalenessMs / 1000).toFixed(1)} s`;
  return `Stock figures from the read side: at most ${staleness} behind (projector lag ${stock.projectorLag} events).`;
}

/**
 * Enables the lifecycle buttons the sale's state allows (Open and Warm up are off on an open
 * sale); they start disabled in the page, until the first sample says the state.
 */
function showCommands() {
  for (const [command, id] of Object.entries(COMMAND_BUTTONS)) {
    if (!$(id).classList.contains('loading')) $(id).disabled = !state.commands.includes(command);
  }
}

/**
 * Shows a reconciliation run: the loop's (every minute, from the samples) or the operator's (from
 * the Reconcile answer), whichever ran last.
 */
function showReconciliation(run) {
  if (state.reconciliation && state.reconciliation.ranAt > run.ranAt) return;
  state.reconciliation = run;
  const verdict = run.consistent ? 'consistent' : run.repaired ? 'repaired' : 'inconsistent';
  const summary = `${new Date(run.ranAt).toLocaleTimeString()}: ${verdict}`;
  $('reconcile-result').textContent = `${summary}\n${JSON.stringify(run, null, 2)}`;
  $('reconcile-result').dataset.ranAt = String(run.ranAt);
}

/** Draws the history as one line per series on a canvas, scaled to the largest value shown. */
function draw() {
  const canvas = $('chart');
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth;
  const height = canvas.clientHeight;
  if (!width) return;
  canvas.width = width * ratio;
  canvas.height = height * ratio;
  const ctx = canvas.getContext('2d');
  ctx.scale(ratio, ratio);
  ctx.clearRect(0, 0, width, height);
  const pad = { left: 48, right: 12, top: 12, bottom: 24 };
  const points = state.history;
  const now = points.at(-1)?.at ?? Date.now();
  const from = now - HISTORY_MS;
  let max = 1;
  for (const p of points) for (const s of SERIES) max = Math.max(max, (p[s.key] ?? 0) * (s.scale ?? 1));
  max = niceCeiling(max);
  const x = (at) => pad.left + ((at - from) / HISTORY_MS) * (width - pad.left - pad.right);
  const y = (v) => height - pad.bottom - (v / max) * (height - pad.top - pad.bottom);
  ctx.strokeStyle = '#2a3050';
  ctx.fillStyle = '#9aa0c3';
  ctx.font = '11px system-ui';
  ctx.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const v = (max / 4) * i;
    ctx.beginPath();
    ctx.moveTo(pad.left, y(v));
    ctx.lineTo(width - pad.right, y(v));
    ctx.stroke();
    ctx.fillText(String(Math.round(v)), 6, y(v) + 4);
  }
  for (let m = 0; m <= 5; m++) {
    ctx.fillText(m === 5 ? 'now' : `-${5 - m}m`, x(from + m * 60_000) - 10, height - 6);
  }
  ctx.lineWidth = 2;
  for (const s of SERIES) {
    ctx.strokeStyle = s.color;
    ctx.beginPath();
    let started = false;
    for (const p of points) {
      const v = p[s.key];
      if (v === null || v === undefined || p.at < from) continue;
      const px = x(p.at);
      const py = y(v * (s.scale ?? 1));
      if (started) ctx.lineTo(px, py);
      else ctx.moveTo(px, py);
      started = true;
    }
    ctx.stroke();
  }
  $('chart-legend').replaceChildren(
    ...SERIES.map((s) => {
      const item = document.createElement('span');
      item.innerHTML = `<i style="background:${s.color}"></i>`;
      item.append(s.label);
      return item;
    }),
  );
}

function niceCeiling(value) {
  const magnitude = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (value <= step * magnitude) return step * magnitude;
  return 10 * magnitude;
}

async function loadDeadLetters() {
  const { deadLetters } = await api('GET', '/api/operator/dead-letters').catch(() => ({ deadLetters: [] }));
  const body = $('dead-letters');
  if (!deadLetters.length) {
    body.innerHTML = '<tr><td colspan="5" class="muted">None.</td></tr>';
    return;
  }
  body.replaceChildren(
    ...deadLetters.map((letter) => {
      const row = document.createElement('tr');
      for (const text of [
        letter.id,
        letter.eventType ?? 'unparseable',
        `${letter.error.code}: ${letter.error.message}`,
        String(letter.attempts),
      ]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      const cell = document.createElement('td');
      const button = document.createElement('button');
      button.className = 'secondary';
      button.textContent = 'Re-drive';
      button.disabled = !letter.redrivable;
      button.addEventListener('click', () =>
        busy(button, async () => {
          await api('POST', `/api/operator/dead-letters/${encodeURIComponent(letter.id)}/redrive`);
          toast('Re-driven.', 'info');
          await loadDeadLetters();
        }).catch((error) => toast(error.message)),
      );
      cell.append(button);
      row.append(cell);
      return row;
    }),
  );
}

async function loadAlerts() {
  const { alerts } = await api('GET', '/api/operator/alerts').catch(() => ({ alerts: [] }));
  const body = $('alerts');
  if (!alerts.length) {
    body.innerHTML = '<tr><td colspan="4" class="muted">None.</td></tr>';
    return;
  }
  body.replaceChildren(
    ...alerts.slice(0, 20).map((alert) => {
      const row = document.createElement('tr');
      for (const text of [
        new Date(alert.at).toLocaleTimeString(),
        alert.severity,
        alert.code,
        alert.message,
      ]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );
}

/** The seat audit: every reservation that held or bought the seat, oldest first, from the read side. */
async function loadSeatHistory() {
  const seatId = $('seat-audit-seat').value.trim();
  const answer = await api('GET', `${salePath()}/seats/${encodeURIComponent(seatId)}/history`);
  const time = (at) => (at === null ? '–' : new Date(at).toLocaleTimeString());
  const staleness = answer.stalenessMs === null ? 'unknown' : `${(answer.stalenessMs / 1000).toFixed(1)} s`;
  $('seat-audit-note').textContent =
    `Seat ${answer.seatId}: ${answer.holders.length} reservation(s), ${answer.events.length} event(s); read side at most ${staleness} behind.`;
  const body = $('seat-audit');
  if (!answer.holders.length) {
    body.innerHTML = '<tr><td colspan="5" class="muted">Nobody has held this seat.</td></tr>';
    return;
  }
  body.replaceChildren(
    ...answer.holders.map((holder) => {
      const row = document.createElement('tr');
      row.dataset.reservation = holder.reservationId;
      const outcome = holder.reason ? `${holder.state} (${holder.reason})` : holder.state;
      for (const text of [
        holder.userId ?? '–',
        holder.reservationId,
        time(holder.heldAt),
        outcome,
        time(holder.settledAt),
      ]) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );
}
