// The buyer's page: sign in, join the queue (after a proof-of-work challenge), wait with a live
// position, choose seats on a live map, hold them, pay, and see the result pushed over SSE.
// Every step is recovered from the server after a refresh: nothing important lives only here.
import { createCheckout } from './checkout.js';
import { ApiError, api, busy, money, newIdempotencyKey, show, toast } from './lib.js';
import { createWaitingList } from './waiting-list.js';

const state = {
  user: null,
  sale: null,
  queue: null,
  selected: new Set(),
  seatStates: {},
  /** No unit left to hold (the map shows it and the button stays off). */
  soldOut: false,
  reservation: null,
  /** Server clock minus ours, so countdowns agree with the server whatever the local clock says. */
  skewMs: 0,
  streams: [],
  countdownTimer: null,
  heartbeatTimer: null,
  /** Kept while one hold attempt is retried, so a retry can never make a second reservation. */
  holdKey: null,
};

const $ = (id) => document.getElementById(id);
const saleId = new URLSearchParams(location.search).get('sale');
/** A bypass or priority invitation from the operator's join link, sent with the join. */
let invitation = new URLSearchParams(location.search).get('invitation');
let preQueueTimer = null;
const RESERVATION_KEY = 'seatrush.reservation';
/** The waiting list after sell-out: its offer, once claimed, is followed like any other hold. */
const waitingList = createWaitingList({
  salePath: () => salePath(),
  sale: () => state.sale,
  skewMs: () => state.skewMs,
  describe: (reservation) => describe(reservation),
  solve: (prompt) => solve(prompt),
  onClaimed: (reservation) => {
    localStorage.setItem(
      RESERVATION_KEY,
      JSON.stringify({ saleId: state.sale.id, reservationId: reservation.id }),
    );
    closeStreams();
    showReservation(reservation);
  },
});

/** CHECKOUT=buyer: the buyer pays within the hold (card form, 3-D Secure); else the server charges. */
const checkout = createCheckout({
  checkoutPath: (id) => `${reservationPath(id)}/checkout`,
  onReservation: (reservation) => {
    closeStreams();
    showReservation(reservation);
  },
  onExpiresAt: (expiresAt) => {
    if (state.reservation) state.reservation.expiresAt = expiresAt;
  },
  skewMs: () => state.skewMs,
});

boot().catch(fatal);

async function boot() {
  wire();
  // a 200 either way: not being signed in yet is no error (a 401 would be logged by the browser)
  state.user = (await api('GET', '/api/session')).user;
  if (!state.user) return showLogin();
  signedIn();
  await loadSale();
  await resume();
}

function fatal(error) {
  console.error(error);
  toast(error.message || String(error));
}

function wire() {
  $('login-form').addEventListener('submit', (event) => {
    event.preventDefault();
    busy($('login-button'), async () => {
      state.user = (await api('POST', '/api/login', { name: $('login-name').value.trim() })).user;
      signedIn();
      await loadSale();
      await resume();
    }).catch(fatal);
  });
  $('logout').addEventListener('click', async () => {
    await api('POST', '/api/logout').catch(() => {});
    localStorage.removeItem(RESERVATION_KEY);
    location.reload();
  });
  $('join-button').addEventListener('click', () => busy($('join-button'), join).catch(fatal));
  $('leave-button').addEventListener('click', () => busy($('leave-button'), leave).catch(fatal));
  $('hold-button').addEventListener('click', () => busy($('hold-button'), hold).catch(holdFailed));
  $('extend-button').addEventListener('click', () => busy($('extend-button'), extend).catch(fatal));
  $('release-button').addEventListener('click', () => busy($('release-button'), release).catch(fatal));
  $('again-button').addEventListener('click', () => {
    localStorage.removeItem(RESERVATION_KEY);
    location.reload();
  });
  $('quantity').addEventListener('change', updateSummary);
}

function showLogin() {
  show('view-login');
  $('login-name').focus();
}

function signedIn() {
  $('who-name').textContent = state.user.name;
  // an operator's invitation is made out to this id
  $('who-name').title = `Your user id: ${state.user.id}`;
  $('logout').classList.remove('hidden');
}

async function loadSale() {
  let id = saleId;
  if (!id) {
    const { sales } = await api('GET', '/api/sales');
    if (sales.length === 0) throw new Error('no sale is running');
    id = sales[0].id;
  }
  const sent = Date.now();
  const { sale, now } = await api('GET', `/api/sales/${encodeURIComponent(id)}`);
  state.sale = sale;
  state.skewMs = skewOf(now, sent);
  $('sale-name').textContent = sale.name;
  const prices = sale.tiers.map((t) => `${t.name} ${money(t.priceCents)}`).join(' · ');
  $('sale-meta').textContent =
    `${sale.state === 'OPEN' ? 'On sale now' : `Sale ${sale.state.toLowerCase()}`} · ${prices} · up to ${sale.ticketsPerUser} tickets each`;
}

/** Picks up wherever this user was: a reservation in progress, an admission, or a queue place. */
async function resume() {
  const saved = JSON.parse(localStorage.getItem(RESERVATION_KEY) || 'null');
  if (saved && saved.saleId === state.sale.id) {
    // 200 either way: a saved id the server no longer knows is `reservation: null`, not a 404
    // the browser would log as an error
    const { reservation } = await api('GET', `${reservationPath(saved.reservationId)}/status`);
    if (reservation && showReservation(reservation)) return;
    localStorage.removeItem(RESERVATION_KEY);
  }
  const { queue } = await api('GET', `${salePath()}/queue/place`);
  if (!queue) return show('view-sale');
  onQueue(queue);
}

/** Server clock minus ours, read from a server time taken while a request was in flight. */
function skewOf(serverNow, sentAt) {
  return serverNow - (sentAt + Date.now()) / 2;
}

const salePath = () => `/api/sales/${encodeURIComponent(state.sale.id)}`;
const reservationPath = (id) => `${salePath()}/reservations/${encodeURIComponent(id)}`;

// ---- waiting room ---------------------------------------------------------------------------

async function join() {
  $('join-status').textContent = 'Getting a challenge…';
  let { challenge } = await api('POST', `${salePath()}/challenge`);
  for (let attempt = 1; ; attempt++) {
    $('join-status').textContent = 'Proving you are not a bot (a second or so of work)…';
    const answer = await solve(challenge.prompt);
    $('join-status').textContent = 'Joining…';
    try {
      const { queue } = await api('POST', `${salePath()}/queue`, {
        challenge: { challengeId: challenge.id, answer },
        ...(invitation ? { invitation } : {}),
        // a room that lost us (its store wiped) takes us back on the token or pass we were given
        ...queueProof(),
      });
      $('join-status').textContent = '';
      return onQueue(queue);
    } catch (error) {
      if (error instanceof ApiError && error.code === 'INVITATION_REFUSED') {
        // nothing was queued: drop the invitation, so the next click joins the normal line
        invitation = null;
        const url = new URL(location.href);
        url.searchParams.delete('invitation');
        history.replaceState(null, '', url);
        $('join-status').textContent = '';
        throw new Error(
          `Your invitation cannot be used (${error.body?.error?.reason ?? 'refused'}). Join again to queue normally.`,
        );
      }
      // an expired challenge is answered with a fresh one: solve that instead
      const fresh = error instanceof ApiError ? error.body?.error?.challenge : undefined;
      if (!fresh || attempt >= 3) {
        $('join-status').textContent = '';
        throw error;
      }
      challenge = fresh;
    }
  }
}

function solve(prompt) {
  return new Promise((resolve, reject) => {
    const worker = new Worker('/pow-worker.js');
    worker.onmessage = (message) => {
      worker.terminate();
      resolve(message.data.answer);
    };
    worker.onerror = (error) => {
      worker.terminate();
      reject(error);
    };
    worker.postMessage(prompt);
  });
}

/**
 * What proves our place in this sale, kept (in this tab's session) beyond the queue view: the
 * admission token once admitted, the latest queue pass while waiting. A rejoin sends both, so a
 * room that lost us (its store wiped) admits us again, or puts us back at our ticket.
 */
const PROOF_KEY = 'seatrush.queueProof';
function rememberToken(queue) {
  if (!queue?.admissionToken && !queue?.queuePass) return;
  const kept = queueProof();
  sessionStorage.setItem(
    PROOF_KEY,
    JSON.stringify({
      saleId: state.sale.id,
      admissionToken: queue.admissionToken ?? kept.admissionToken,
      queuePass: queue.queuePass ?? kept.queuePass,
    }),
  );
}
function queueProof() {
  const saved = JSON.parse(sessionStorage.getItem(PROOF_KEY) || 'null');
  if (!saved || saved.saleId !== state.sale.id) return {};
  return {
    ...(saved.admissionToken ? { admissionToken: saved.admissionToken } : {}),
    ...(saved.queuePass ? { queuePass: saved.queuePass } : {}),
  };
}

function onQueue(queue) {
  state.queue = queue;
  rememberToken(queue);
  if (queue.state === 'ADMITTED') return enterSeatMap();
  show('view-queue');
  renderQueue(queue);
  watchQueue();
}

function renderQueue(queue) {
  clearInterval(preQueueTimer);
  if (queue.state === 'PRE_QUEUE') return renderPreQueue(queue);
  $('queue-ahead').textContent = queue.ahead.toLocaleString();
  $('queue-ticket').textContent = queue.ticket.toLocaleString();
  $('queue-served').textContent = queue.servedUpTo.toLocaleString();
  $('queue-eta').textContent = formatEta(queue.etaSeconds);
  const total = Math.max(1, queue.ticket - (state.queue.firstSeen ?? queue.servedUpTo));
  state.queue.firstSeen ??= queue.servedUpTo;
  const done = Math.min(100, ((queue.servedUpTo - state.queue.firstSeen) / total) * 100);
  $('queue-progress').style.width = `${Math.max(2, done)}%`;
  $('queue-note').textContent =
    queue.saleState && queue.saleState !== 'OPEN'
      ? `The sale is ${queue.saleState.toLowerCase()}: your place is kept.`
      : 'We will take you to the seat map as soon as it is your turn.';
}

/**
 * Before the opening: no number yet. Everyone who arrives before `opensAt` is given a place in a
 * random draw at the opening, so there is no point in being first — only in being there.
 */
function renderPreQueue(queue) {
  $('queue-ahead').textContent = '–';
  $('queue-ticket').textContent = 'drawn at the opening';
  $('queue-served').textContent = '–';
  $('queue-progress').style.width = '2%';
  const tick = () => {
    const left = Math.max(0, Math.ceil((queue.opensAt - (Date.now() + state.skewMs)) / 1000));
    $('queue-eta').textContent = `opens in ${formatCountdown(left)}`;
    $('queue-note').textContent =
      'You are in the pre-queue: at the opening everyone here gets a place in a fair random order, then the line moves.';
  };
  tick();
  preQueueTimer = setInterval(tick, 1000);
}

function formatCountdown(seconds) {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = String(seconds % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

function formatEta(seconds) {
  if (seconds === null || seconds === undefined) return 'calculating…';
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}

function watchQueue() {
  closeStreams();
  const source = new EventSource(`${salePath()}/queue/stream`);
  state.streams.push(source);
  source.addEventListener('queue', (event) => {
    const queue = JSON.parse(event.data);
    const firstSeen = state.queue?.firstSeen;
    state.queue = { ...queue, firstSeen };
    rememberToken(queue);
    if (queue.state === 'ADMITTED') enterSeatMap();
    else renderQueue(state.queue);
  });
  // one frame for every watcher: the serving counter; our place is our ticket minus it
  source.addEventListener('position', (event) => {
    const position = JSON.parse(event.data);
    const queue = state.queue;
    if (queue?.state !== 'WAITING' || queue.lane) return;
    const ahead = Math.max(0, queue.ticket - position.servedUpTo - 1);
    const perSecond = position.admittedPerSecond;
    state.queue = {
      ...queue,
      ahead,
      servedUpTo: position.servedUpTo,
      saleState: position.saleState,
      etaSeconds: perSecond > 0 ? Math.ceil(ahead / perSecond) : queue.etaSeconds,
    };
    renderQueue(state.queue);
  });
  source.addEventListener('gone', () => {
    closeStreams();
    toast('You lost your place (no sign of life for too long). Join again.');
    show('view-sale');
  });
  keepAlive();
}

/** An open tab is a live buyer: heartbeats keep the place (silent users are removed). */
function keepAlive() {
  clearInterval(state.heartbeatTimer);
  state.heartbeatTimer = setInterval(() => {
    api('POST', `${salePath()}/queue/heartbeat`).catch(() => {});
  }, 15_000);
}

async function leave() {
  await api('DELETE', `${salePath()}/queue`);
  closeStreams();
  show('view-sale');
}

function closeStreams() {
  for (const source of state.streams) source.close();
  state.streams = [];
  clearInterval(state.heartbeatTimer);
  clearInterval(preQueueTimer);
}

// ---- seat map -------------------------------------------------------------------------------

async function enterSeatMap() {
  closeStreams();
  keepAlive(); // heartbeats renew the admission while the buyer chooses
  show('view-seats');
  const admittedUntil = state.queue?.admittedUntil;
  $('admission-left').textContent = admittedUntil
    ? `Your turn lasts until ${new Date(admittedUntil - state.skewMs).toLocaleTimeString()}.`
    : '';
  renderSeatMap();
  await waitingList.start();
  const snapshot = await api('GET', `${salePath()}/seats`);
  applySeats(snapshot);
  const source = new EventSource(`${salePath()}/seats/stream`);
  state.streams.push(source);
  source.addEventListener('seats', (event) => applySeats(JSON.parse(event.data)));
}

function renderSeatMap() {
  const sale = state.sale;
  const map = $('seatmap');
  map.replaceChildren();
  if (sale.kind === 'general') {
    $('general').classList.remove('hidden');
    const select = $('quantity');
    select.replaceChildren();
    for (let n = 1; n <= sale.ticketsPerUser; n++) select.append(new Option(String(n), String(n)));
    updateSummary();
    return;
  }
  const stage = document.createElement('div');
  stage.className = 'stage';
  stage.textContent = 'STAGE';
  map.append(stage);
  for (const section of sale.sections) {
    const box = document.createElement('div');
    box.className = 'section';
    const title = document.createElement('h3');
    title.textContent = section.name;
    box.append(title);
    for (const row of section.rows) {
      const line = document.createElement('div');
      line.className = 'row';
      const label = document.createElement('span');
      label.className = 'row-id';
      label.textContent = row.id;
      line.append(label);
      for (const seat of row.seats) {
        const button = document.createElement('button');
        button.type = 'button';
        button.className = `seat tier-${seat.tier}`;
        button.dataset.seat = seat.id;
        button.dataset.tier = seat.tier;
        button.title = `${section.name} ${seat.label}`;
        button.textContent = seat.label.replace(/^[A-Z]+/, '');
        button.addEventListener('click', () => toggleSeat(seat.id));
        line.append(button);
      }
      box.append(line);
    }
    map.append(box);
  }
  updateSummary();
}

function toggleSeat(id) {
  if (state.seatStates[id]) return;
  if (state.selected.has(id)) state.selected.delete(id);
  else if (state.selected.size < state.sale.ticketsPerUser) state.selected.add(id);
  else return toast(`Up to ${state.sale.ticketsPerUser} seats each.`, 'info');
  state.holdKey = null;
  paintSeats();
  updateSummary();
}

function applySeats(snapshot) {
  state.seatStates = snapshot.states;
  state.soldOut = snapshot.counts.available === 0;
  $('sold-out').classList.toggle('hidden', !state.soldOut);
  waitingList.setSoldOut(state.soldOut);
  for (const id of [...state.selected]) if (state.seatStates[id]) state.selected.delete(id);
  if (state.sale.kind === 'general') {
    $('general-left').textContent = `${snapshot.counts.available} tickets left`;
  }
  paintSeats();
  updateSummary();
}

function paintSeats() {
  for (const button of document.querySelectorAll('.seat')) {
    const id = button.dataset.seat;
    const seatState = state.seatStates[id];
    button.classList.toggle('HELD', seatState === 'HELD');
    button.classList.toggle('CONFIRMED', seatState === 'CONFIRMED');
    button.classList.toggle('selected', state.selected.has(id));
    button.disabled = Boolean(seatState);
    button.setAttribute('aria-pressed', String(state.selected.has(id)));
    button.dataset.state = seatState || 'AVAILABLE';
  }
}

function updateSummary() {
  const sale = state.sale;
  const price = (tier) => sale.tiers.find((t) => t.id === tier)?.priceCents ?? 0;
  let count;
  let total;
  if (sale.kind === 'general') {
    count = Number($('quantity').value || 1);
    total = count * price(sale.tier);
  } else {
    count = state.selected.size;
    total = [...state.selected].reduce((sum, id) => {
      const button = document.querySelector(`[data-seat="${CSS.escape(id)}"]`);
      return sum + price(button?.dataset.tier);
    }, 0);
  }
  $('selection-summary').textContent = count
    ? `${count} ${sale.kind === 'general' ? 'ticket' : 'seat'}${count > 1 ? 's' : ''} · ${money(total)}`
    : 'No seat selected';
  $('hold-button').disabled = count === 0 || state.soldOut;
}

async function hold() {
  const sale = state.sale;
  const body =
    sale.kind === 'general' ? { quantity: Number($('quantity').value) } : { seatIds: [...state.selected] };
  // the same key for retries of this selection: the server answers the original outcome
  state.holdKey ??= newIdempotencyKey();
  const sent = Date.now();
  const { reservation, replayed } = await api('POST', `${salePath()}/reservations`, body, {
    'Idempotency-Key': state.holdKey,
    'X-Admission-Token': state.queue?.admissionToken ?? '',
  });
  // the hold was made while the request was in flight: the best reading of the server's clock
  if (!replayed) state.skewMs = skewOf(reservation.heldAt, sent);
  state.holdKey = null;
  state.selected.clear();
  localStorage.setItem(RESERVATION_KEY, JSON.stringify({ saleId: sale.id, reservationId: reservation.id }));
  closeStreams();
  showReservation(reservation);
}

function holdFailed(error) {
  state.holdKey = null;
  if (!(error instanceof ApiError)) return fatal(error);
  const messages = {
    SEAT_TAKEN: 'Someone was faster: that seat is taken. Pick another one.',
    SOLD_OUT: 'Sold out — there is not enough left.',
    NOT_ADMITTED: 'Your turn has ended. Join the queue again.',
    LIMIT_EXCEEDED: `You can buy up to ${state.sale.ticketsPerUser} tickets.`,
    RATE_LIMITED: 'Too many requests: wait a moment.',
  };
  toast(messages[error.code] ?? error.message);
  if (error.code === 'NOT_ADMITTED') {
    closeStreams();
    show('view-sale');
  }
}

// ---- hold, payment and result ----------------------------------------------------------------

/** Shows a reservation in its state; false when it is over and the user should start again. */
function showReservation(reservation) {
  state.reservation = reservation;
  clearInterval(state.countdownTimer);
  switch (reservation.status) {
    case 'HELD':
      show('view-hold');
      $('hold-seats').textContent = describe(reservation);
      $('hold-amount').textContent = money(reservation.amountCents);
      $('hold-payment').textContent =
        reservation.processing === 'PAYMENT_PENDING'
          ? 'Charging your demo card…'
          : 'Your order is queued for payment…';
      tick();
      state.countdownTimer = setInterval(tick, 250);
      watchReservation();
      openCheckout(reservation).catch(fatal);
      return true;
    case 'CONFIRMED':
    case 'FAILED':
    case 'EXPIRED':
    case 'RELEASED':
      showResult(reservation);
      return reservation.status === 'CONFIRMED' || reservation.status === 'FAILED';
    default:
      return false;
  }
}

function describe(reservation) {
  if (reservation.seatIds.length === 0) return `${reservation.quantity} general admission ticket(s)`;
  const names = new Map();
  for (const section of state.sale.sections)
    for (const row of section.rows)
      for (const seat of row.seats) names.set(seat.id, `${section.name} ${seat.label}`);
  return reservation.seatIds.map((id) => names.get(id) ?? id).join(', ');
}

function tick() {
  const left = Math.max(0, state.reservation.expiresAt - (Date.now() + state.skewMs));
  const seconds = Math.ceil(left / 1000);
  const el = $('hold-countdown');
  el.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
  el.classList.toggle('urgent', seconds <= 30);
  if (left === 0) {
    clearInterval(state.countdownTimer);
    // the server decides; ask it rather than assume
    api('GET', reservationPath(state.reservation.id))
      .then(({ reservation }) => showReservation(reservation))
      .catch(fatal);
  }
}

function watchReservation() {
  if (state.streams.length) return;
  const source = new EventSource(`${reservationPath(state.reservation.id)}/stream`);
  state.streams.push(source);
  source.addEventListener('reservation', (event) => {
    const reservation = JSON.parse(event.data);
    const same = state.reservation;
    if (
      reservation.status === same.status &&
      reservation.expiresAt === same.expiresAt &&
      reservation.processing === same.processing
    )
      return;
    if (reservation.status !== 'HELD') closeStreams();
    showReservation(reservation);
  });
}

async function extend() {
  const { reservation } = await api('POST', `${reservationPath(state.reservation.id)}/extend`);
  showReservation(reservation);
  toast('Your hold was extended.', 'info');
}

/** In the buyer checkout the page takes the payment; the server never charges by itself. */
async function openCheckout(reservation) {
  if (!(await checkout.buyerPays())) return;
  $('extend-button').classList.add('hidden');
  $('hold-payment').textContent =
    reservation.processing === 'PAYMENT_PENDING' ? 'Payment in progress' : 'Awaiting your payment';
  await checkout.open(reservation);
}

async function release() {
  if (checkout.active()) return checkout.leave();
  const { reservation } = await api('DELETE', reservationPath(state.reservation.id));
  closeStreams();
  localStorage.removeItem(RESERVATION_KEY);
  showReservation(reservation);
}

function showResult(reservation) {
  clearInterval(state.countdownTimer);
  checkout.stop();
  show('view-result');
  const ok = reservation.status === 'CONFIRMED';
  $('result-icon').textContent = ok ? '✓' : '✕';
  $('result-icon').className = `icon ${ok ? 'ok' : 'bad'}`;
  const titles = {
    CONFIRMED: 'You have your tickets!',
    FAILED: 'The payment did not go through',
    EXPIRED: 'Your hold expired',
    RELEASED: 'You gave the seats back',
  };
  $('result-title').textContent =
    reservation.reason === 'CHECKOUT_ABANDONED'
      ? 'You left the checkout'
      : (titles[reservation.status] ?? reservation.status);
  $('result-detail').textContent = ok
    ? `${describe(reservation)} · ${money(reservation.amountCents)} · payment ${reservation.paymentId ?? ''}`
    : `${describe(reservation)} went back on sale${reservation.reason ? ` (${reservation.reason})` : ''}.`;
  $('result-detail').dataset.status = reservation.status;
}
