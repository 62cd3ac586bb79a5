// The waiting list after sell-out, on the buyer's seat map: a "join the waiting list" form when
// nothing is left, the place in the list, and an offer pushed over SSE (no polling) with a claim
// button and a countdown to its deadline. A claim answers the reservation, which the page then
// follows like any other hold.
import { ApiError, api, busy, toast } from './lib.js';

const $ = (id) => document.getElementById(id);

/**
 * @param {object} options
 * @param {() => string} options.salePath the sale's API path
 * @param {() => object} options.sale the sale's description (kind, ticketsPerUser)
 * @param {() => number} options.skewMs server clock minus ours
 * @param {(reservation: object) => string} options.describe names the seats of an offer
 * @param {(reservation: object) => void} options.onClaimed shows the reservation the claim made
 * @param {(prompt: object) => Promise<string>} options.solve solves the bot guard's proof of work
 */
export function createWaitingList(options) {
  const local = { view: null, soldOut: false, stream: null, timer: null, wired: false };
  const path = () => `${options.salePath()}/waiting-list`;

  function wire() {
    if (local.wired) return;
    local.wired = true;
    $('wl-join-button').addEventListener('click', () => busy($('wl-join-button'), join).catch(failed));
    $('wl-claim-button').addEventListener('click', () => busy($('wl-claim-button'), claim).catch(failed));
    $('wl-decline-button').addEventListener('click', () => busy($('wl-decline-button'), leave).catch(failed));
    $('wl-leave-button').addEventListener('click', () => busy($('wl-leave-button'), leave).catch(failed));
  }

  /** Picks up the buyer's place (if any) and follows it. */
  async function start() {
    wire();
    const sale = options.sale();
    const sizes = Array.from({ length: sale.ticketsPerUser }, (_, i) => i + 1);
    $('wl-size').replaceChildren(...sizes.map((n) => new Option(String(n), String(n))));
    $('wl-together-label').classList.toggle('hidden', sale.kind !== 'assigned');
    const { waitingList } = await api('GET', `${path()}/place`);
    apply(waitingList);
    if (waitingList) watch();
  }

  /** The seat map says whether anything is left: the join form only makes sense when not. */
  function setSoldOut(soldOut) {
    local.soldOut = soldOut;
    render();
  }

  function stop() {
    local.stream?.close();
    local.stream = null;
    clearInterval(local.timer);
  }

  async function join() {
    const body = { size: Number($('wl-size').value) };
    if (options.sale().kind === 'assigned') body.fallback = $('wl-together').checked ? 'refuse' : 'split';
    apply((await joinPastGuard(body)).waitingList);
    watch();
  }

  /**
   * The list is behind the queue's bot guard: a buyer who solved its challenge lately passes at
   * once; otherwise the challenge it answers with is solved, and the join sent again with it.
   */
  async function joinPastGuard(body) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await api('POST', path(), body);
      } catch (error) {
        const challenge =
          error instanceof ApiError && error.code === 'CHALLENGE_REQUIRED'
            ? error.body?.error?.challenge
            : null;
        if (!challenge || attempt >= 3) throw error;
        $('wl-status').textContent = 'Proving you are not a bot (a second or so of work)…';
        body = {
          ...body,
          challenge: { challengeId: challenge.id, answer: await options.solve(challenge.prompt) },
        };
      }
    }
  }

  async function leave() {
    await api('DELETE', path());
    stop();
    apply(null);
  }

  async function claim() {
    const offer = local.view?.offer;
    if (!offer) return;
    try {
      const { reservation } = await api(
        'POST',
        `${path()}/offers/${encodeURIComponent(offer.offerId)}/claim`,
      );
      claimed(reservation);
    } catch (error) {
      // a repeat of our own claim (another tab, a double click): follow the reservation it made
      const reservationId = error instanceof ApiError ? error.body?.error?.reservationId : undefined;
      if (!reservationId) throw error;
      claimed(
        (await api('GET', `${options.salePath()}/reservations/${encodeURIComponent(reservationId)}`))
          .reservation,
      );
    }
  }

  function claimed(reservation) {
    stop();
    $('waiting-list').classList.add('hidden');
    options.onClaimed(reservation);
  }

  function watch() {
    if (local.stream) return;
    local.stream = new EventSource(`${path()}/stream`);
    local.stream.addEventListener('waiting-list', (event) => apply(JSON.parse(event.data)));
  }

  function apply(view) {
    const was = local.view?.state;
    local.view = view;
    if (view?.state === 'OFFERED' && was !== 'OFFERED')
      toast('Tickets are waiting for you: claim them!', 'info');
    if (view?.state === 'CLAIMED' && view.reservationId) {
      // claimed in another tab: follow the reservation here too
      api('GET', `${options.salePath()}/reservations/${encodeURIComponent(view.reservationId)}`)
        .then(({ reservation }) => claimed(reservation))
        .catch(failed);
      return;
    }
    if (view?.state === 'LAPSED' || view === null) stop();
    render();
  }

  function render() {
    const view = local.view;
    const live = view?.state === 'WAITING' || view?.state === 'OFFERED';
    $('waiting-list').classList.toggle('hidden', !live && !local.soldOut && view?.state !== 'LAPSED');
    $('wl-join').classList.toggle('hidden', live || !local.soldOut);
    $('wl-leave-button').classList.toggle('hidden', view?.state !== 'WAITING');
    $('wl-offer').classList.toggle('hidden', view?.state !== 'OFFERED');
    clearInterval(local.timer);
    const status = $('wl-status');
    if (view?.state === 'WAITING') {
      status.textContent =
        view.ahead === 0
          ? `You are first on the waiting list (party of ${view.size}).`
          : `You are on the waiting list (party of ${view.size}): ${view.ahead} ahead of you.`;
    } else if (view?.state === 'OFFERED') {
      status.textContent = '';
      $('wl-offer-what').textContent = options.describe(view.offer);
      tick();
      local.timer = setInterval(tick, 250);
    } else if (view?.state === 'LAPSED') {
      status.textContent = 'Your offer was not claimed in time; it went to the next party.';
    } else {
      status.textContent = local.soldOut
        ? 'Sold out. Join the waiting list: freed tickets are offered in order.'
        : '';
    }
  }

  function tick() {
    const offer = local.view?.offer;
    if (!offer) return;
    const left = Math.max(0, offer.deadline - (Date.now() + options.skewMs()));
    const seconds = Math.ceil(left / 1000);
    const el = $('wl-countdown');
    el.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, '0')}`;
    el.classList.toggle('urgent', seconds <= 30);
    if (left === 0) {
      clearInterval(local.timer);
      // the server decides; ask it rather than assume
      api('GET', path())
        .then(({ waitingList }) => apply(waitingList))
        .catch(failed);
    }
  }

  function failed(error) {
    if (!(error instanceof ApiError)) return toast(error.message || String(error));
    const messages = {
      NOT_SOLD_OUT: 'Tickets are available: choose them on the map instead.',
      LIMIT_EXCEEDED: 'That party would pass the tickets-per-user limit.',
      OFFER_EXPIRED: 'Too late: the offer went to the next party.',
      NOT_OFFERED: 'That offer is not yours.',
    };
    toast(messages[error.code] ?? error.message);
    if (error.code === 'OFFER_EXPIRED' || error.code === 'NOT_SOLD_OUT') {
      api('GET', path())
        .then(({ waitingList }) => apply(waitingList))
        .catch(() => apply(null));
    }
  }

  return { start, setSoldOut, stop };
}
