import { AsyncLocalStorage } from 'node:async_hooks';
import type { Timer } from '@seatrush/core/services';
import { ManualClock } from '@seatrush/core/testing';
import type { Random } from './random';

/**
 * A simulated process (an API instance, a worker) or an actor (a buyer). Crashing one drops every
 * step it was waiting for: its async work stops where it stood, as a killed process's does, while
 * the shared stores keep what it wrote.
 */
export interface Component {
  readonly name: string;
  readonly alive: boolean;
}

interface MutableComponent extends Component {
  alive: boolean;
}

interface Runnable {
  seq: number;
  component: MutableComponent;
  label: string;
  run: () => void;
}

/** A step run, as a failure's report prints it (built into text only then). */
interface RecentStep {
  component: string;
  label: string;
  at: number;
}

interface TimerEntry extends Runnable {
  at: number;
  /** Set for a repeating timer (a `Timer.setInterval`). */
  intervalMs?: number;
  cancelled: boolean;
}

/**
 * The component whose code is running, shared by every run of the process: each async context
 * frame copies every storage ever entered, so a storage per run made every step of the Nth run
 * copy N entries (5 % of the CPU by the 80th seed).
 */
const CURRENT_COMPONENT = new AsyncLocalStorage<MutableComponent>();

/** How many of the last steps a failure's report shows. */
const RECENT = 20;

/** What {@link Scheduler.within} answers when the bound passed first. */
export const TIMED_OUT: unique symbol = Symbol('timed out');

/** Options of a {@link Scheduler}. */
export interface SchedulerOptions {
  random: Random;
  /** Virtual start time (ms since the epoch). */
  start: number;
  /**
   * Chance that a step lets time pass (fires the next timer) although steps are ready: work in
   * flight then sees the clock move, as a slow call does.
   */
  advanceChance: number;
}

/**
 * The seeded scheduler: every await of the system under test that touches a port is a step it
 * chooses, in a seeded random order, and time is a virtual clock it moves. No real timer decides
 * anything: between steps it only lets the microtasks of the step it ran settle.
 */
export class Scheduler {
  readonly clock: ManualClock;
  readonly random: Random;
  readonly #advanceChance: number;
  #ready: Runnable[] = [];
  /**
   * The timers, a binary min-heap on (time, creation): the order a sorted list gives, at a cost
   * of log n per timer set or fired (a run keeps about fifty, most of them bounds that never fire).
   */
  readonly #timers: TimerEntry[] = [];
  #seq = 0;
  #steps = 0;
  #hash = 0x811c9dc5;
  readonly #components = new Map<string, MutableComponent>();
  /** The components this scheduler made (a component of another scheduler is refused). */
  readonly #owned = new WeakSet<Component>();
  /** Which component the running code belongs to (async work keeps its component across awaits). */
  readonly #current = CURRENT_COMPONENT;
  /** The last steps run, a ring of {@link RECENT}, for a failure's report. */
  readonly #recent: RecentStep[] = [];

  constructor(options: SchedulerOptions) {
    this.random = options.random;
    this.clock = new ManualClock(options.start);
    this.#advanceChance = options.advanceChance;
  }

  /** The label of the last step run. */
  lastLabel = '';

  /** The last steps run (at most twenty, oldest first), as `component:label@time`, for a failure's report. */
  get recent(): string[] {
    const start = this.#steps % RECENT;
    const ordered =
      this.#recent.length < RECENT
        ? this.#recent
        : [...this.#recent.slice(start), ...this.#recent.slice(0, start)];
    return ordered.map((step) => `${step.component}:${step.label}@${step.at}`);
  }

  /** Steps run so far. */
  get steps(): number {
    return this.#steps;
  }

  /** Steps run, by label (where a run's time goes). */
  get stepsByLabel(): Map<string, number> {
    return new Map([...this.#stepsByLabel].map(([label, count]) => [label, count.steps]));
  }

  readonly #stepsByLabel = new Map<string, { steps: number }>();

  /** A hash of every step run and its time: two runs with the same fingerprint ran alike. */
  get fingerprint(): string {
    return (this.#hash >>> 0).toString(16).padStart(8, '0');
  }

  /** Steps waiting to run (not counting timers). */
  get readyCount(): number {
    return this.#ready.length;
  }

  /** A new component, alive. Names are unique: a restarted process is a new component. */
  component(name: string): Component {
    if (this.#components.has(name)) throw new Error(`component ${name} exists already`);
    const component: MutableComponent = { name, alive: true };
    this.#components.set(name, component);
    this.#owned.add(component);
    return component;
  }

  /** Runs `work` as `component`'s: what it awaits, and the timers it sets, belong to that component. */
  run<T>(component: Component, work: () => T): T {
    return this.#current.run(this.#own(component), work);
  }

  /**
   * Replaces the global `setTimeout`/`clearTimeout` with virtual ones for the length of a run:
   * core bounds some waits with them (a hold's hand-over, the store's answer), and a real timer
   * would make a run depend on the machine's speed. A timer belongs to the component whose code
   * set it, so a crashed process's timers never fire. Answers the function that restores them.
   */
  installVirtualTimers(fallback: Component): () => void {
    const realSetTimeout = globalThis.setTimeout;
    const realClearTimeout = globalThis.clearTimeout;
    const owner = this.#own(fallback);
    const virtual = (callback: (...args: unknown[]) => void, ms?: number, ...args: unknown[]) => {
      // a component of this run's (another run's cannot be current here, but the storage is shared)
      const current = this.#current.getStore();
      const component = current && this.#owned.has(current) ? current : owner;
      const entry = this.#addTimer({
        component,
        label: 'setTimeout',
        run: () => this.#current.run(component, () => callback(...args)),
        at: this.clock.now() + Math.max(0, Math.floor(ms ?? 0)),
      });
      if (!component.alive) entry.cancelled = true;
      return Object.assign(entry, { unref: () => entry, ref: () => entry, hasRef: () => false });
    };
    globalThis.setTimeout = virtual as unknown as typeof setTimeout;
    globalThis.clearTimeout = ((handle: unknown) => {
      if (handle && typeof handle === 'object' && 'cancelled' in handle)
        (handle as TimerEntry).cancelled = true;
      else realClearTimeout(handle as Parameters<typeof clearTimeout>[0]);
    }) as typeof clearTimeout;
    return () => {
      globalThis.setTimeout = realSetTimeout;
      globalThis.clearTimeout = realClearTimeout;
    };
  }

  /** Kills a component: what it waits for never comes, its timers never fire. */
  crash(component: Component): void {
    const dead = this.#own(component);
    dead.alive = false;
    this.#ready = this.#ready.filter((r) => r.component !== dead);
    // its timers stay in the heap, cancelled, and are dropped when they come up
    for (const timer of this.#timers) if (timer.component === dead) timer.cancelled = true;
  }

  /** A scheduling point: resolves when the scheduler picks this step (never, once crashed). */
  gate(component: Component, label: string): Promise<void> {
    const owner = this.#own(component);
    return new Promise<void>((resolve) => {
      if (!owner.alive) return;
      this.#ready.push({ seq: this.#seq++, component: owner, label, run: resolve });
    });
  }

  /** Resolves after `ms` of virtual time (never, once crashed). */
  sleep(component: Component, ms: number, label: string): Promise<void> {
    const owner = this.#own(component);
    return new Promise<void>((resolve) => {
      if (!owner.alive) return;
      this.#addTimer({ component: owner, label, run: resolve, at: this.clock.now() + Math.max(0, ms) });
    });
  }

  /** The promise's value, or {@link TIMED_OUT} once `ms` of virtual time passed first. */
  within<T>(component: Component, promise: Promise<T>, ms: number): Promise<T | typeof TIMED_OUT> {
    const owner = this.#own(component);
    let entry: TimerEntry | undefined;
    const late = new Promise<typeof TIMED_OUT>((resolve) => {
      if (!owner.alive) return;
      entry = this.#addTimer({
        component: owner,
        label: 'timeout',
        run: () => resolve(TIMED_OUT),
        at: this.clock.now() + ms,
      });
    });
    const settled = promise.finally(() => {
      if (entry) entry.cancelled = true; // an answer in time leaves no timer behind
    });
    return Promise.race([settled, late]);
  }

  /** The `Timer` port over virtual time, for one component's loops. */
  timer(component: Component): Timer {
    const owner = this.#own(component);
    return {
      setInterval: (callback, ms) => {
        if (!owner.alive) return null;
        return this.#addTimer({
          component: owner,
          label: 'interval',
          run: () => this.#current.run(owner, callback),
          at: this.clock.now() + ms,
          intervalMs: ms,
        });
      },
      clearInterval: (handle) => {
        if (handle) (handle as TimerEntry).cancelled = true;
      },
    };
  }

  /**
   * Runs one step: a ready step chosen at random or, when none is ready (or by chance), the next
   * timer with the clock moved to its time. False when nothing is left to run.
   */
  async step(): Promise<boolean> {
    if (!this.runNext()) return false;
    await settled();
    return true;
  }

  /**
   * Starts one step (see {@link step}) without waiting for its continuation: the caller awaits
   * {@link settled} before anything else is chosen. False when nothing is left to run.
   */
  runNext(): boolean {
    const timers = this.#timers;
    while (timers.length > 0 && timers[0]!.cancelled) this.#popTimer();
    const timeFirst = timers.length > 0 && this.random.chance(this.#advanceChance);
    let runnable: Runnable | undefined;
    if (this.#ready.length > 0 && !timeFirst) {
      const index = this.random.below(this.#ready.length);
      runnable = this.#ready[index]!;
      this.#ready[index] = this.#ready[this.#ready.length - 1]!;
      this.#ready.pop();
    } else {
      let timer = this.#popTimer();
      while (timer?.cancelled) timer = this.#popTimer();
      if (!timer) return false;
      if (timer.at > this.clock.now()) this.clock.set(timer.at);
      if (timer.intervalMs !== undefined) {
        // the same entry goes back in, so the handle `clearInterval` got still cancels it
        timer.at += timer.intervalMs;
        timer.seq = this.#seq++;
        this.#pushTimer(timer);
      }
      runnable = timer;
    }
    const { label } = runnable;
    const name = runnable.component.name;
    const now = this.clock.now();
    const slot = this.#steps % RECENT;
    this.#steps += 1;
    const recent = this.#recent[slot];
    if (recent) {
      recent.component = name;
      recent.label = label;
      recent.at = now;
    } else this.#recent[slot] = { component: name, label, at: now };
    this.lastLabel = label;
    const count = this.#stepsByLabel.get(label);
    if (count) count.steps += 1;
    else this.#stepsByLabel.set(label, { steps: 1 });
    // the hash of `${component}:${label}@${now}`, fed piece by piece
    let hash = this.#hash;
    hash = fnv(hash, name);
    hash = Math.imul(hash ^ 58, 0x01000193); // ':'
    hash = fnv(hash, label);
    hash = Math.imul(hash ^ 64, 0x01000193); // '@'
    this.#hash = fnvDecimal(hash, now);
    runnable.run();
    return true;
  }

  #addTimer(input: Omit<TimerEntry, 'seq' | 'cancelled'>): TimerEntry {
    const entry = input as TimerEntry;
    entry.seq = this.#seq++;
    entry.cancelled = false;
    this.#pushTimer(entry);
    return entry;
  }

  /** Adds to the heap: by time, then by creation, so equal times fire in the order they were set. */
  #pushTimer(entry: TimerEntry): void {
    const heap = this.#timers;
    let index = heap.length;
    heap.push(entry);
    while (index > 0) {
      const up = (index - 1) >>> 1;
      const parent = heap[up]!;
      if (!earlier(entry, parent)) break;
      heap[index] = parent;
      index = up;
    }
    heap[index] = entry;
  }

  /** Takes the earliest timer off the heap. */
  #popTimer(): TimerEntry | undefined {
    const heap = this.#timers;
    const first = heap[0];
    const last = heap.pop();
    if (first === undefined || last === undefined || heap.length === 0) return first;
    let index = 0;
    const size = heap.length;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= size) break;
      const right = left + 1;
      const child = right < size && earlier(heap[right]!, heap[left]!) ? right : left;
      if (!earlier(heap[child]!, last)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
    return first;
  }

  #own(component: Component): MutableComponent {
    if (!this.#owned.has(component)) throw new Error(`component ${component.name} is not this scheduler's`);
    return component as MutableComponent;
  }
}

/** Whether timer `a` fires before timer `b`: earlier time, or the same time and set first. */
function earlier(a: TimerEntry, b: TimerEntry): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}

/** FNV-1a over the characters of `text`, from `hash`. */
function fnv(hash: number, text: string): number {
  let h = hash;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/** The digits of a decimal, one per place, reused by {@link fnvDecimal}. */
const DIGITS = new Uint8Array(24);
/** The value whose digits `DIGITS` holds, and how many: most steps run at the time of the last. */
let digitsOf = -1;
let digitsLength = 0;

/** FNV-1a over the characters of `String(value)`, from `hash`, without making the string. */
function fnvDecimal(hash: number, value: number): number {
  if (!Number.isSafeInteger(value) || value < 0) return fnv(hash, String(value));
  if (value !== digitsOf) {
    digitsLength = decimalDigits(value);
    digitsOf = value;
  }
  let h = hash;
  for (let place = digitsLength; place > 0; ) h = Math.imul(h ^ (48 + DIGITS[--place]!), 0x01000193);
  return h;
}

/** Writes the digits of a safe non-negative integer into `DIGITS`, lowest first; answers how many. */
function decimalDigits(value: number): number {
  // in two parts below 1e9, so the digits come from integer arithmetic, not floating-point `%`
  let high = Math.floor(value / 1e9);
  let low = value - high * 1e9;
  if (low < 0) {
    high -= 1;
    low += 1e9;
  } else if (low >= 1e9) {
    high += 1;
    low -= 1e9;
  }
  let length = 0;
  if (high > 0) {
    for (let place = 0; place < 9; place++) {
      const digit = low % 10;
      DIGITS[length++] = digit;
      low = (low - digit) / 10;
    }
    low = high;
  }
  do {
    const digit = low % 10;
    DIGITS[length++] = digit;
    low = (low - digit) / 10;
  } while (low > 0);
  return length;
}

/**
 * Resolves once the microtasks queued now (a step's continuation up to its next scheduling point)
 * have run: a step's code never waits for anything but the scheduler, so the next immediate
 * callback comes after it finished.
 *
 * Node drains the microtasks between two immediate callbacks of one turn of the event loop, so the
 * immediates are queued ahead, {@link IMMEDIATES_PER_TURN} at a time, each releasing the oldest
 * caller waiting: a step then costs a drain, not a whole turn of the loop (its poll for I/O, about
 * a sixth of a step's CPU). Nothing in a run waits for I/O or a real timer.
 */
export function settled(): Promise<void> {
  return new Promise<void>((resolve) => {
    settling.push(resolve);
    if (immediatesQueued === 0) queueImmediates();
  });
}

/** Callers of {@link settled} waiting, oldest first. */
const settling: Array<() => void> = [];
/** Immediates queued and not yet run. */
let immediatesQueued = 0;
/** How many steps can settle in one turn of the event loop. */
const IMMEDIATES_PER_TURN = 64;

function queueImmediates(): void {
  for (let i = 0; i < IMMEDIATES_PER_TURN; i++) setImmediate(releaseOldest);
  immediatesQueued += IMMEDIATES_PER_TURN;
}

function releaseOldest(): void {
  immediatesQueued -= 1;
  settling.shift()?.();
  // a caller that came after the last of them waits for the next turn's
  if (immediatesQueued === 0 && settling.length > 0) queueImmediates();
}
