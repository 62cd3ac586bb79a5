// The dashboard's payments panel (CHECKOUT=buyer): the buyers paying right now (step, amount,
// time left on their hold, last declined card) and the recent failures (declined cards, holds
// that ran out while paying, buyers who left). Hidden when the server charges by itself.
import { api, money } from './lib.js';

const $ = (id) => document.getElementById(id);

setInterval(() => refresh().catch(() => {}), 2000);
refresh().catch(() => {});

async function refresh() {
  if ($('view-dashboard').classList.contains('hidden')) return;
  const activity = await api('GET', '/api/operator/checkout');
  $('checkout-panel').classList.toggle('hidden', activity.mode !== 'buyer');
  if (activity.mode !== 'buyer') return;
  const { started, confirmed, declined, failed } = activity.counts;
  $('checkout-counts').textContent =
    `${started} started · ${confirmed} confirmed · ${declined} declined cards · ${failed} failed`;
  const now = Date.now();
  fill(
    'checkout-in-progress',
    activity.inProgress.map((p) => ({
      reservation: p.reservationId,
      cells: [
        p.saleId,
        p.reservationId.slice(0, 8),
        p.step === 'AUTHENTICATING' ? '3-D Secure' : 'card',
        money(p.amountCents),
        p.expiresAt ? `${Math.max(0, Math.round((p.expiresAt - now) / 1000))} s` : '–',
        p.lastFailureCode ?? '',
      ],
    })),
    6,
  );
  fill(
    'checkout-failures',
    activity.failures.map((f) => ({
      reservation: f.reservationId,
      cells: [new Date(f.at).toLocaleTimeString(), f.saleId, f.reservationId.slice(0, 8), f.kind, f.code],
    })),
    5,
  );
}

function fill(id, rows, columns) {
  const body = $(id);
  if (rows.length === 0) {
    const row = document.createElement('tr');
    row.innerHTML = `<td colspan="${columns}" class="muted">None.</td>`;
    return body.replaceChildren(row);
  }
  body.replaceChildren(
    ...rows.map(({ reservation, cells }) => {
      const row = document.createElement('tr');
      row.dataset.reservation = reservation;
      for (const text of cells) {
        const cell = document.createElement('td');
        cell.textContent = text;
        row.append(cell);
      }
      return row;
    }),
  );
}
