import type { HttpAnswer, LabHttpClient, SseStream } from './http-client';
import { type PowPrompt, solveProofOfWork } from './proof-of-work';
import { errorCode, type Recorder } from './recorder';

/** Where a virtual buyer is in its flow. */
export type BuyerState =
  | 'NEW'
  | 'SIGNED_IN'
  | 'CHALLENGED'
  | 'WAITING'
  | 'ADMITTED'
  | 'HOLDING'
  | 'CONFIRMED'
  | 'FAILED'
  | 'EXPIRED'
  | 'RELEASED'
  | 'SOLD_OUT'
  | 'ABANDONED'
  | 'EVICTED'
  | 'ERROR';

/** The final states: a buyer ends in exactly one. */
export const FINAL_STATES = [
  'CONFIRMED',
  'FAILED',
  'EXPIRED',
  'RELEASED',
  'SOLD_OUT',
  'ABANDONED',
  'EVICTED',
  'ERROR',
] as const satisfies readonly BuyerState[];

/** Whether a state is final. */
export function isFinal(state: BuyerState): boolean {
  return (FINAL_STATES as readonly BuyerState[]).includes(state);
}

/**
 * The legal moves. A buyer may give up (ABANDONED) or fail (ERROR) from any live state; the
 * result of a hold comes only from HOLDING, and SOLD_OUT only once admitted.
 */
export const TRANSITIONS: Record<BuyerState, readonly BuyerState[]> = {
  NEW: ['SIGNED_IN', 'ABANDONED', 'ERROR'],
  SIGNED_IN: ['CHALLENGED', 'ABANDONED', 'ERROR'],
  CHALLENGED: ['WAITING', 'ABANDONED', 'ERROR'],
  WAITING: ['ADMITTED', 'ABANDONED', 'EVICTED', 'ERROR'],
  ADMITTED: ['HOLDING', 'SOLD_OUT', 'ABANDONED', 'ERROR'],
  HOLDING: ['CONFIRMED', 'FAILED', 'EXPIRED', 'RELEASED', 'ERROR'],
  CONFIRMED: [],
  FAILED: [],
  EXPIRED: [],
  RELEASED: [],
  SOLD_OUT: [],
  ABANDONED: [],
  EVICTED: [],
  ERROR: [],
};

/** How virtual buyers behave: think times, patience and abandonment, how hard they race. */
export interface BuyerBehaviour {
  /** Pause before each action after admission (choosing seats, reading the page), uniform in [min, max] ms. */
  thinkMs: [number, number];
  /** Share of buyers who give up while waiting, at a random moment within `patienceMs`. */
  abandonWhileWaiting: number;
  patienceMs: number;
  /** Share of admitted buyers who walk away without buying. */
  abandonAfterAdmission: number;
  /** Share of holders who release their hold instead of waiting for the payment. */
  releaseHold: number;
  /** How many times a buyer tries other seats after SEAT_TAKEN. */
  maxAttempts: number;
  /**
   * How strongly buyers want the same seats: a seat is picked at index ⌊n·u^skew⌋ of the free
   * seats in map order (front rows first). 1 = uniform; 3 = most fight for the front rows.
   */
  popularitySkew: number;
  /** Share of reserve requests repeated with the same Idempotency-Key (a double click). */
  replayRate: number;
  /**
   * The buyer checkout (the app's `CHECKOUT=buyer`): share of holders who leave the payment page,
   * whose first card is declined (they try another), and whose bank asks for 3-D Secure.
   */
  abandonCheckout: number;
  declineFirstCard: number;
  threeDSecure: number;
  /** How long to wait for the final result of a hold before reading it directly. */
  resultTimeoutMs: number;
  /** How often a waiting buyer sends its heartbeat (the web client: every 15 s). */
  heartbeatMs: number;
  /** Longest wait in the queue before the buyer counts as timed out. */
  queueTimeoutMs: number;
}

/** What the profiles start from: impatient enough to abandon sometimes, keen on the front rows. */
export const DEFAULT_BEHAVIOUR: BuyerBehaviour = {
  thinkMs: [50, 400],
  abandonWhileWaiting: 0.05,
  patienceMs: 30_000,
  abandonAfterAdmission: 0.03,
  releaseHold: 0,
  maxAttempts: 4,
  popularitySkew: 3,
  replayRate: 0.05,
  abandonCheckout: 0.1,
  declineFirstCard: 0.1,
  threeDSecure: 0.3,
  resultTimeoutMs: 30_000,
  heartbeatMs: 15_000,
  queueTimeoutMs: 90_000,
};

/** What one buyer did, and how it ended. */
export interface BuyerResult {
  id: string;
  state: BuyerState;
  /** Every state it went through, in order. */
  trace: BuyerState[];
  cookie: string | null;
  reservationId: string | null;
  seatIds: string[];
  /** The final reservation status pushed over SSE (null when it had to be read). */
  resultOverSse: string | null;
  /** The last refusal or error code met (SEAT_TAKEN, TIMEOUT, …). */
  lastCode: string | null;
  reserveAttempts: number;
  /** A replayed reserve that did not answer the original reservation (must never happen). */
  replayMismatch: boolean;
  /** What the mismatched replay answered: status, code, whether it was marked replayed. */
  replayAnswer?: string;
  /**
   * The buyer checkout: this buyer sent an approving payment (an approved card, or its approval of
   * the bank's 3-D Secure step), answered or not. A seat confirmed without one is a bug.
   */
  paid: boolean;
}

/** What a buyer needs from the run. */
export interface BuyerContext {
  client: LabHttpClient;
  recorder: Recorder;
  saleId: string;
  behaviour: BuyerBehaviour;
  /** The sale's seat ids in map order (front rows first): what "popular" means. */
  seatIds: readonly string[];
  /** Which loopback source address to use (spreads connections over 127.0.0.x). */
  source: number;
  /** Set to stop every buyer (the run's deadline); they end as ABANDONED. */
  signal: AbortSignal;
  random?: () => number;
  /** `buyer`: the app takes no payment by itself; each holder pays (or leaves) on the checkout. */
  checkout?: 'auto' | 'buyer';
  /** The front door alone: the buyer signs in and leaves (ABANDONED), nothing more. */
  signInOnly?: boolean;
  /** Watchers only join and hold their queue stream until `signal` aborts. */
  watchOnly?: boolean;
  /** Called on every queue event (watchers count fan-out). */
  onQueueEvent?: () => void;
}

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (signal.aborted || ms <= 0) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });

/** The app's payment simulator's test cards (the SDK's SIMULATOR_CARDS; the lab has no SDK dependency). */
const CARDS = {
  approved: '4242424242424242',
  threeDSecure: '4000002760003184',
  declined: '4000000000000002',
};

const codeOf = (answer: HttpAnswer): string =>
  answer.status < 300
    ? 'OK'
    : (((answer.body as { error?: { code?: string } } | null)?.error?.code ??
        `HTTP_${answer.status}`) as string);

class Stop extends Error {}

/** Connection failures a person would simply retry (nothing reached the app's logic). */
const RETRIED = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'EADDRNOTAVAIL']);

/**
 * One virtual buyer, as a state machine over the real HTTP API: sign in, fetch and solve the
 * challenge, join, watch the queue over SSE, reserve when admitted (racing for popular seats,
 * trying others on SEAT_TAKEN), then watch the reservation's stream until its final result.
 * Every step is timed in the recorder; every move is checked against {@link TRANSITIONS}.
 */
export class VirtualBuyer {
  readonly result: BuyerResult;
  readonly #ctx: BuyerContext;
  readonly #random: () => number;
  readonly #base: string;

  constructor(id: string, ctx: BuyerContext) {
    this.#ctx = ctx;
    this.#random = ctx.random ?? Math.random;
    this.#base = `/api/sales/${encodeURIComponent(ctx.saleId)}`;
    this.result = {
      id,
      state: 'NEW',
      trace: ['NEW'],
      cookie: null,
      reservationId: null,
      seatIds: [],
      resultOverSse: null,
      lastCode: null,
      reserveAttempts: 0,
      replayMismatch: false,
      paid: false,
    };
  }

  /** Runs the flow to a final state; never throws. */
  async run(): Promise<BuyerResult> {
    const started = performance.now();
    try {
      await this.#flow();
    } catch (error) {
      if (!(error instanceof Stop)) {
        this.result.lastCode =
          error instanceof Error && !('code' in error) ? error.message : errorCode(error);
        if (!isFinal(this.result.state)) this.#move('ERROR');
      }
    }
    if (!isFinal(this.result.state)) {
      this.#move(this.result.state === 'HOLDING' ? 'ERROR' : 'ABANDONED');
    }
    const s = this.result.state;
    if (s === 'CONFIRMED' || s === 'FAILED' || s === 'SOLD_OUT') {
      this.#ctx.recorder.record('end_to_end', performance.now() - started, s === 'CONFIRMED' ? 'OK' : s);
    }
    return this.result;
  }

  #move(to: BuyerState): void {
    const from = this.result.state;
    if (!TRANSITIONS[from].includes(to)) throw new Error(`illegal buyer transition ${from} → ${to}`);
    this.result.state = to;
    this.result.trace.push(to);
  }

  /**
   * One request with the buyer's cookie and browser-like headers. A connection refused or reset
   * before any answer (a full accept backlog at a spike) is tried again after a pause, as a person
   * presses again; each such failure is counted by code in the recorder's retries.
   */
  async #request(
    method: string,
    path: string,
    options: { body?: unknown; headers?: Record<string, string> } = {},
  ) {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.#ctx.client.request(method, path, {
          ...options,
          source: this.#ctx.source,
          ...(this.result.cookie ? { cookie: this.result.cookie } : {}),
          headers: {
            // what a browser sends: the bot guard challenges odd or missing user agents
            'user-agent':
              'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36',
            'accept-language': 'en-GB,en;q=0.9',
            'x-device-fingerprint': `lab-${this.result.id}`,
            ...options.headers,
          },
        });
      } catch (error) {
        const code = errorCode(error);
        if (attempt >= 3 || !RETRIED.has(code) || this.#ctx.signal.aborted) throw error;
        this.#ctx.recorder.retried(code);
        await sleep(200 * attempt + this.#random() * 300, this.#ctx.signal);
      }
    }
  }

  async #flow(): Promise<void> {
    const { recorder, signal } = this.#ctx;
    const login = await recorder.time(
      'login',
      () => this.#request('POST', '/api/login', { body: { name: `lab ${this.result.id}` } }),
      codeOf,
    );
    if (login.status !== 201 || !login.setCookie) return this.#fail(codeOf(login));
    this.result.cookie = login.setCookie;
    this.#move('SIGNED_IN');
    if (signal.aborted) throw new Stop();
    if (this.#ctx.signInOnly) {
      this.#move('ABANDONED');
      return;
    }

    const challenge = await recorder.time(
      'challenge',
      () => this.#request('POST', `${this.#base}/challenge`),
      codeOf,
    );
    if (challenge.status !== 201) return this.#fail(codeOf(challenge));
    let issued = (challenge.body as { challenge: { id: string; prompt: PowPrompt } }).challenge;
    this.#move('CHALLENGED');
    if (signal.aborted) throw new Stop();

    let joined: HttpAnswer | null = null;
    for (let attempt = 0; attempt < 3 && !joined; attempt++) {
      const t0 = performance.now();
      const answer = solveProofOfWork(issued.prompt);
      recorder.record('proof_of_work', performance.now() - t0);
      const join = await recorder.time(
        'join',
        () =>
          this.#request('POST', `${this.#base}/queue`, {
            body: { challenge: { challengeId: issued.id, answer } },
          }),
        codeOf,
      );
      const fresh = (join.body as { error?: { challenge?: typeof issued } } | null)?.error?.challenge;
      if (join.status < 300) joined = join;
      else if (fresh) issued = fresh;
      else return this.#fail(codeOf(join));
    }
    if (!joined) return this.#fail('CHALLENGE_REQUIRED');
    this.#move('WAITING');

    const admission = await this.#waitForAdmission();
    if (signal.aborted) throw new Stop();
    if (admission === 'ABANDONED' || admission === 'EVICTED') {
      if (admission === 'ABANDONED') await this.#leave();
      this.#move(admission);
      return;
    }
    this.#move('ADMITTED');
    if (this.#random() < this.#ctx.behaviour.abandonAfterAdmission) {
      await this.#think();
      await this.#leave();
      this.#move('ABANDONED');
      return;
    }
    await this.#reserve(admission);
    if (this.result.state === 'HOLDING') await this.#awaitResult();
    await this.#leave();
  }

  #fail(code: string): void {
    this.result.lastCode = code;
    this.#move('ERROR');
  }

  /** Watches the queue stream until the admission token arrives; returns it, or why not. */
  #waitForAdmission(): Promise<string | 'ABANDONED' | 'EVICTED'> {
    const { client, recorder, behaviour, signal } = this.#ctx;
    const opened = performance.now();
    const giveUpAfter =
      !this.#ctx.watchOnly && this.#random() < behaviour.abandonWhileWaiting
        ? this.#random() * behaviour.patienceMs
        : null;
    // an abort that came before the listener below is added fires no event: look first
    if (signal.aborted) return Promise.resolve('ABANDONED');
    return new Promise((resolve) => {
      let settled = false;
      let firstEvent = true;
      let stream: SseStream | null = null;
      const timers: NodeJS.Timeout[] = [];
      const finish = (outcome: string | 'ABANDONED' | 'EVICTED') => {
        if (settled) return;
        settled = true;
        for (const t of timers) clearTimeout(t);
        clearInterval(heartbeat);
        signal.removeEventListener('abort', onAbort);
        stream?.close();
        resolve(outcome);
      };
      const onAbort = () => finish('ABANDONED');
      signal.addEventListener('abort', onAbort, { once: true });
      if (giveUpAfter !== null) timers.push(setTimeout(() => finish('ABANDONED'), giveUpAfter));
      if (!this.#ctx.watchOnly) {
        timers.push(
          setTimeout(() => {
            recorder.record('admission_wait', performance.now() - opened, 'TIMEOUT');
            finish('ABANDONED');
          }, behaviour.queueTimeoutMs),
        );
      }
      // keep the place in the queue as the web client does
      const heartbeat = setInterval(() => {
        this.#request('POST', `${this.#base}/queue/heartbeat`).catch(() => {});
      }, behaviour.heartbeatMs);
      let opens = 0;
      const open = () => {
        opens++;
        let retrying = false;
        const current = client.stream(`${this.#base}/queue/stream`, {
          ...(this.result.cookie ? { cookie: this.result.cookie } : {}),
          source: this.#ctx.source,
          onOpen: (status, code) => {
            if (status === 200) return;
            const failure = status ? `HTTP_${status}` : (code ?? 'NETWORK');
            if (status === 0 && RETRIED.has(failure) && opens < 3 && !settled) {
              // refused or reset before the app saw it: open again after a pause, as EventSource does
              retrying = true;
              recorder.retried(failure);
              timers.push(setTimeout(() => !settled && open(), 200 * opens + this.#random() * 300));
              return;
            }
            this.result.lastCode = failure;
            recorder.record('queue_stream_open', performance.now() - opened, failure);
            finish('EVICTED');
          },
          onEvent: (event) => {
            this.#ctx.onQueueEvent?.();
            if (firstEvent) {
              firstEvent = false;
              recorder.record('queue_stream_open', performance.now() - opened);
            }
            if (event.event === 'gone') return finish('EVICTED');
            const view = event.data as { state?: string; admissionToken?: string };
            if (!this.#ctx.watchOnly && view.state === 'ADMITTED' && view.admissionToken) {
              recorder.record('admission_wait', performance.now() - opened);
              finish(view.admissionToken);
            }
          },
        });
        stream = current;
        // a stream the server ended (shutdown, restart) without a verdict: read the queue once
        current.done.then(async () => {
          if (settled || retrying || stream !== current) return;
          const answer = await this.#request('GET', `${this.#base}/queue`).catch(() => null);
          const view = (answer?.body as { queue?: { state?: string; admissionToken?: string } } | null)
            ?.queue;
          if (!this.#ctx.watchOnly && view?.state === 'ADMITTED' && view.admissionToken)
            finish(view.admissionToken);
          else if (!signal.aborted) finish('EVICTED');
        });
      };
      open();
    });
  }

  async #reserve(token: string): Promise<void> {
    const { recorder, behaviour } = this.#ctx;
    for (let attempt = 1; attempt <= behaviour.maxAttempts; attempt++) {
      await this.#think();
      if (this.#ctx.signal.aborted) throw new Stop();
      const map = await recorder.time('seat_map', () => this.#request('GET', `${this.#base}/seats`), codeOf);
      const free = this.#freeSeats(map);
      if (free.length === 0) {
        this.result.lastCode = 'SOLD_OUT';
        this.#move('SOLD_OUT');
        return;
      }
      const seat =
        free[
          Math.min(free.length - 1, Math.floor(free.length * this.#random() ** behaviour.popularitySkew))
        ]!;
      const key = `lab-${this.result.id}-${attempt}`;
      const send = () =>
        this.#request('POST', `${this.#base}/reservations`, {
          body: { seatIds: [seat] },
          headers: { 'idempotency-key': key, 'x-admission-token': token },
        });
      this.result.reserveAttempts = attempt;
      const answer = await recorder.time('reserve', send, codeOf);
      const code = codeOf(answer);
      if (answer.status === 201) {
        const reservation = (answer.body as { reservation: { id: string; seatIds: string[] } }).reservation;
        this.result.reservationId = reservation.id;
        this.result.seatIds = reservation.seatIds;
        this.#move('HOLDING');
        if (this.#random() < behaviour.replayRate) {
          // a double click: the same key must answer the same reservation, marked as replayed
          const again = await send();
          const body = again.body as { reservation?: { id: string }; replayed?: boolean } | null;
          if (again.status !== 200 || body?.reservation?.id !== reservation.id || body?.replayed !== true) {
            this.result.replayMismatch = true;
            this.result.replayAnswer = `${again.status} ${codeOf(again)} replayed=${body?.replayed} same id=${body?.reservation?.id === reservation.id}`;
          }
        }
        return;
      }
      this.result.lastCode = code;
      if (code === 'SOLD_OUT') {
        this.#move('SOLD_OUT');
        return;
      }
      if (code === 'SEAT_TAKEN' || code === 'BUSY' || answer.status === 429) continue;
      return this.#fail(code);
    }
    // out of attempts while seats kept being taken under it: it lost the race
    this.#move('SOLD_OUT');
  }

  #freeSeats(map: HttpAnswer): string[] {
    const body = map.body as { states?: Record<string, string>; counts?: { available: number } } | null;
    if (!body?.states) return [];
    if (body.counts && body.counts.available === 0) return [];
    const taken = body.states;
    return this.#ctx.seatIds.filter((id) => !(id in taken));
  }

  async #awaitResult(): Promise<void> {
    const { client, recorder, behaviour } = this.#ctx;
    const id = this.result.reservationId!;
    const path = `${this.#base}/reservations/${encodeURIComponent(id)}`;
    if (this.#random() < behaviour.releaseHold) {
      await this.#think();
      const released = await this.#request('DELETE', path);
      // the worker may have confirmed or failed it meanwhile: read what it became
      if (released.status === 200) this.#move('RELEASED');
    }
    if (this.result.state !== 'HOLDING') return;
    if (this.#ctx.checkout === 'buyer') await this.#pay(`${path}/checkout`);
    const started = performance.now();
    const final = await new Promise<string | null>((resolve) => {
      let done = false;
      const end = (status: string | null) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        stream.close();
        resolve(status);
      };
      const timer = setTimeout(() => end(null), behaviour.resultTimeoutMs);
      const stream = client.stream(`${path}/stream`, {
        ...(this.result.cookie ? { cookie: this.result.cookie } : {}),
        source: this.#ctx.source,
        onEvent: (event) => {
          const status = (event.data as { status?: string }).status;
          if (event.event === 'reservation' && status && status !== 'HELD') end(status);
        },
      });
      stream.done.then(() => end(null));
    });
    if (final) {
      this.result.resultOverSse = final;
      recorder.record('result_wait', performance.now() - started);
    } else {
      recorder.record('result_wait', performance.now() - started, 'NO_RESULT_PUSHED');
    }
    const status = final ?? (await this.#readStatus(path));
    if (status === 'CONFIRMED' || status === 'FAILED' || status === 'EXPIRED' || status === 'RELEASED') {
      this.#move(status);
    } else {
      this.#fail('NO_FINAL_RESULT');
    }
  }

  /**
   * The buyer checkout, as a person at the payment page: begin, think, maybe leave (the seats go
   * back), maybe a declined card first, maybe the bank's 3-D Secure step. The result is not read
   * here: it comes over the reservation's stream, as for everyone.
   */
  async #pay(checkoutPath: string): Promise<void> {
    try {
      await this.#checkout(checkoutPath);
    } catch (error) {
      // an answer that never came (a timeout at the spike) ends nothing: the server decides, and
      // its result comes over the reservation's stream as for everyone
      this.result.lastCode = errorCode(error);
    }
  }

  async #checkout(checkoutPath: string): Promise<void> {
    const { recorder, behaviour } = this.#ctx;
    const begun = await recorder.time('checkout_begin', () => this.#request('POST', checkoutPath), codeOf);
    if (begun.status !== 200) {
      // the hold ended first (it expired, or the sale closed): the result stream says how
      this.result.lastCode = codeOf(begun);
      return;
    }
    const { paymentId, clientSecret } = (
      begun.body as { payment: { paymentId: string; clientSecret: string } }
    ).payment;
    const simulator = `/api/simulator/payments/${encodeURIComponent(paymentId)}`;
    const step = (action: string, body: Record<string, unknown>) =>
      recorder.time(
        'payment',
        () => this.#request('POST', `${simulator}/${action}`, { body: { clientSecret, ...body } }),
        codeOf,
      );
    await this.#think();
    if (this.#random() < behaviour.abandonCheckout) {
      await this.#request('DELETE', checkoutPath);
      return;
    }
    if (this.#random() < behaviour.declineFirstCard) {
      await step('confirm', { card: CARDS.declined });
      await this.#think();
    }
    if (this.#random() < behaviour.threeDSecure) {
      const asked = await step('confirm', { card: CARDS.threeDSecure });
      if (asked.status !== 200) return;
      await this.#think();
      // paid from the moment the approval is sent: its answer may be lost, the payment is not
      this.result.paid = true;
      await step('authenticate', { approve: true });
    } else {
      this.result.paid = true;
      await step('confirm', { card: CARDS.approved });
    }
  }

  async #readStatus(path: string): Promise<string | null> {
    const answer = await this.#request('GET', path).catch(() => null);
    return (answer?.body as { reservation?: { status?: string } } | null)?.reservation?.status ?? null;
  }

  async #leave(): Promise<void> {
    await this.#request('DELETE', `${this.#base}/queue`).catch(() => {});
  }

  #think(): Promise<void> {
    const [min, max] = this.#ctx.behaviour.thinkMs;
    return sleep(min + this.#random() * Math.max(0, max - min), this.#ctx.signal);
  }
}
