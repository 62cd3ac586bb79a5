import type {
  FakePaymentGateway,
  HoldRecord,
  RuntimePorts,
  RuntimeSale,
  SimulatedPaymentProvider,
} from '@seatrush/core';
import { SIMULATOR_CARDS } from '@seatrush/core/ports';
import type { InvariantChecker } from './invariants';
import type { Random } from './random';
import { type Component, type Scheduler, TIMED_OUT } from './scheduler';

/** What a buyer sees of the system: the sale as served by one of the live instances. */
export interface BuyerWorld {
  scheduler: Scheduler;
  checker: InvariantChecker;
  /** Auto-pay: the worker charges; a buyer's declining card is scripted before the reservation is made. */
  payments: FakePaymentGateway | null;
  /** Buyer-driven checkout: the provider the buyer's browser confirms the payment with. */
  provider: SimulatedPaymentProvider | null;
  /** A live instance's sale and ports, chosen at random; null while none is up. */
  anyInstance(random: Random): ServingInstance | null;
  seated: boolean;
  ticketsPerUser: number;
}

/** An API instance as a buyer's request reaches it. */
export interface ServingInstance {
  sale: RuntimeSale;
  ports: RuntimePorts;
}

/** How a buyer's run ended (counted in the run's stats). */
export type BuyerEnd =
  | 'gave-up-queue'
  | 'refused'
  | 'accepted'
  | 'abandoned'
  | 'waiting-list-claimed'
  | 'waiting-list-lapsed'
  | 'no-stock'
  | 'paid'
  | 'payment-declined'
  | 'payment-abandoned'
  | 'checkout-refused';

/** Every request of a buyer is bounded: a lost or slow answer is a timeout, then a retry. */
const REQUEST_MS = 3_000;

/**
 * One buyer's whole visit: arrives, joins the queue (heartbeating), is admitted, reserves units,
 * seats or a group (retrying an unknown outcome with the same key, sometimes double-submitting),
 * joins the waiting list on a sell-out and claims an offer, then pays (the processor charges) or
 * abandons. Its choices come from its own stream, so runs with fewer buyers keep the others' choices.
 */
export async function runBuyer(
  world: BuyerWorld,
  me: Component,
  index: number,
  random: Random,
): Promise<BuyerEnd> {
  const { scheduler } = world;
  const userId = `u${index}`;
  const ask = async <T>(call: (sale: RuntimeSale, ports: RuntimePorts) => Promise<T>): Promise<T | null> => {
    const instance = world.anyInstance(random);
    if (!instance) return null;
    try {
      const answer = await scheduler.within(me, call(instance.sale, instance.ports), REQUEST_MS);
      return answer === TIMED_OUT ? null : answer;
    } catch {
      return null; // a 503 from an instance whose store failed: try again
    }
  };
  const pause = (min: number, max: number, label: string) =>
    scheduler.sleep(me, random.between(min, max), label);

  await pause(0, 4_000, 'arrive');
  // join the queue
  let joined = false;
  for (let attempt = 0; attempt < 6 && !joined; attempt++) {
    const answer = await ask((sale) => sale.queue.join({ userId }));
    if (answer?.ok) joined = true;
    else if (answer && !answer.ok) return 'refused';
    else await pause(200, 1_500, 'join retry');
  }
  if (!joined) return 'gave-up-queue';
  // wait for the admission, heartbeating
  let token: string | undefined;
  const patience = scheduler.clock.now() + random.between(10_000, 40_000);
  for (let poll = 1; !token; poll++) {
    if (scheduler.clock.now() > patience) {
      await ask((sale) => sale.waitingRoom.leave({ userId }));
      return 'gave-up-queue';
    }
    await pause(500, 2_500, 'wait in queue');
    const status = await ask((sale) => sale.queue.status({ userId }));
    if (status?.state === 'ADMITTED' && status.admissionToken) token = status.admissionToken;
    else if (poll % 4 === 0) await ask((sale) => sale.waitingRoom.heartbeat({ userId }));
  }
  await pause(0, 3_000, 'choose');
  const declines = random.chance(0.15);
  const abandons = random.chance(0.15);
  for (let attempt = 1; attempt <= 4; attempt++) {
    const reservationId = `r${index}-${attempt}`;
    const idempotencyKey = `k${index}-${attempt}`;
    if (declines) world.payments?.decline({ reservationId });
    const size = random.between(1, Math.min(3, world.ticketsPerUser));
    const group = world.seated && random.chance(0.4);
    const seats = world.seated && !group ? await pickSeats(size) : [];
    if (world.seated && !group && seats.length === 0) return 'no-stock';
    const reserveOnce = () =>
      ask(async (sale) => {
        if (group) {
          if (!sale.groups) return null;
          return sale.groups.reserveGroup({
            userId,
            idempotencyKey,
            size,
            admissionToken: token,
            reservationId,
          });
        }
        return sale.reservations.reserve({
          userId,
          idempotencyKey,
          reservationId,
          admissionToken: token,
          selection: world.seated ? { kind: 'seats', seatIds: seats } : { kind: 'quantity', quantity: size },
        });
      });
    // an unknown outcome (timeout, 503, OUTCOME_UNKNOWN) is retried with the same key; sometimes
    // the buyer double-submits at once, through another instance
    let answer = null as Awaited<ReturnType<typeof reserveOnce>>;
    for (let retry = 0; retry < 5; retry++) {
      // each answer is judged at the instant it came, not when the buyer looks at both
      const judged = (request: ReturnType<typeof reserveOnce>) =>
        request.then((a) => {
          if (a?.ok) accepted(a.hold, a.reservationId, reservationId);
          return a;
        });
      const double = random.chance(0.1) ? judged(reserveOnce()) : null;
      answer = await judged(reserveOnce());
      const other = double ? await double : null;
      if (!answer?.ok && other?.ok) answer = other;
      if (answer && answer.code !== 'OUTCOME_UNKNOWN') break;
      await pause(100, 1_500, 'reserve retry');
    }
    if (answer?.ok) {
      if (!abandons) return world.provider ? pay(world.provider, reservationId) : 'accepted';
      await pause(0, 5_000, 'abandon');
      await ask((sale) => sale.reservations.cancel({ userId, reservationId }));
      return 'abandoned';
    }
    if (!answer) continue;
    if (answer.code === 'SOLD_OUT') return waitingList(size);
    if (answer.code === 'LIMIT_EXCEEDED' || answer.code === 'NOT_ADMITTED') return 'refused';
    await pause(200, 2_000, 'try again'); // SEAT_TAKEN, PIPELINE_STALLED, SALE_NOT_OPEN, …
  }
  return 'refused';

  function accepted(hold: HoldRecord, answered: string, asked: string): void {
    if (answered !== asked) throw new Error(`asked ${asked}, answered ${answered}`);
    world.checker.accepted(hold, scheduler.clock.now());
  }

  /**
   * The buyer-driven checkout: begin (the payment, the hold extended), then the card in the
   * browser, straight to the provider: approved, 3-D Secure (passed or failed), declined then
   * another card, declined for good, too slow (paying after the hold may have ended), or leaving.
   */
  async function pay(provider: SimulatedPaymentProvider, reservationId: string): Promise<BuyerEnd> {
    const plan = random.pick(['approved', 'approved', '3ds', 'retry', 'declined', 'slow', 'leave'] as const);
    let payment: { paymentId: string; clientSecret: string | null } | null = null;
    for (let attempt = 0; attempt < 4 && !payment; attempt++) {
      const begun = await ask(async (sale) => sale.checkout?.begin({ userId, reservationId }) ?? null);
      if (begun?.ok) payment = begun.payment;
      else if (begun)
        return 'checkout-refused'; // the hold ended meanwhile
      else await pause(200, 1_500, 'begin retry');
    }
    if (!payment?.clientSecret) return 'checkout-refused';
    const { paymentId, clientSecret } = payment;
    if (plan === 'leave') {
      await pause(0, 3_000, 'leave checkout');
      await ask(async (sale) => sale.checkout?.cancel({ userId, reservationId }) ?? null);
      return 'payment-abandoned';
    }
    if (plan === 'slow') await pause(5_000, 40_000, 'pay slowly');
    else await pause(0, 3_000, 'type the card');
    if (random.chance(0.3))
      await ask(async (sale) => sale.checkout?.extend({ userId, reservationId }) ?? null);
    // the browser talks to the provider, not to an instance
    const browser = async <T>(label: string, call: () => Promise<T>): Promise<T | null> => {
      await scheduler.gate(me, label);
      return call().catch(() => null);
    };
    const card = (number: string) =>
      browser('provider.confirm', () => provider.confirm({ paymentId, clientSecret, card: number }));
    let outcome = await card(
      plan === '3ds'
        ? SIMULATOR_CARDS.threeDSecure
        : plan === 'approved' || plan === 'slow'
          ? SIMULATOR_CARDS.approved
          : random.pick([SIMULATOR_CARDS.declined, SIMULATOR_CARDS.insufficientFunds]),
    );
    if (outcome?.ok && outcome.status === 'REQUIRES_ACTION') {
      await pause(0, 3_000, '3-D Secure');
      const approve = random.chance(0.75);
      outcome = await browser('provider.authenticate', () =>
        provider.authenticate({ paymentId, clientSecret, approve }),
      );
    }
    if (!outcome?.ok && (plan === 'retry' || plan === '3ds')) {
      await pause(500, 3_000, 'another card');
      outcome = await card(SIMULATOR_CARDS.approved);
    }
    return outcome?.ok ? 'paid' : 'payment-declined';
  }

  async function pickSeats(size: number): Promise<string[]> {
    const states = await ask((sale, ports) => ports.inventory.seatStates(sale.sale.id));
    const free = Object.entries(states ?? {})
      .filter(([, state]) => state === 'AVAILABLE')
      .map(([seat]) => seat);
    const picked: string[] = [];
    // sometimes a buyer asks for a seat someone else has (a stale seat map)
    const pool = random.chance(0.2) ? Object.keys(states ?? {}) : free;
    while (picked.length < size && pool.length > 0) {
      const [seat] = pool.splice(random.below(pool.length), 1);
      picked.push(seat!);
    }
    return picked;
  }

  async function waitingList(size: number): Promise<BuyerEnd> {
    const joinedList = await ask(async (sale) => sale.waitingList?.join({ userId, size }) ?? null);
    if (!joinedList?.ok) return 'no-stock';
    const until = scheduler.clock.now() + random.between(5_000, 20_000);
    while (scheduler.clock.now() < until) {
      await pause(500, 3_000, 'wait for an offer');
      const place = await ask(async (sale) => sale.waitingList?.position(userId) ?? null);
      const offerId = place?.entry.state === 'OFFERED' ? place.entry.offerId : undefined;
      if (!offerId) continue;
      const claim = await ask(async (sale) => sale.waitingList?.claim({ userId, offerId }) ?? null);
      if (claim?.ok) {
        world.checker.accepted(claim.hold, scheduler.clock.now());
        return 'waiting-list-claimed';
      }
    }
    return 'waiting-list-lapsed';
  }
}
