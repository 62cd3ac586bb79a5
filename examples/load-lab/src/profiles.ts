import { type BuyerBehaviour, DEFAULT_BEHAVIOUR } from './buyer';

/** The load shapes the lab knows. */
export const PROFILES = ['spike', 'ramp', 'soak', 'watchers'] as const;
/** One of {@link PROFILES}. */
export type ProfileName = (typeof PROFILES)[number];

/** Every knob of a run; each has a per-profile default small enough for ≤ 2 minutes here. */
export interface ProfileParams {
  /** spike: buyers arriving within `spreadMs` of the opening. */
  buyers: number;
  spreadMs: number;
  seats: number;
  /** ramp: concurrent buyers per step (closed loop: one leaves, another arrives), each for `stepSeconds`. */
  rampSteps: number[];
  stepSeconds: number;
  /** soak: open-loop arrivals per second for `soakSeconds`. */
  arrivalsPerSecond: number;
  soakSeconds: number;
  /** watchers: SSE waiting-room connections to reach, opened `watcherBatch` at a time, held `holdSeconds`. */
  watchers: number;
  watcherBatch: number;
  holdSeconds: number;
  /** The sale's admission: users per tick, tick, most admitted at once; hold length. */
  admitPerTick: number;
  tickMs: number;
  maxActive: number;
  holdMs: number;
  /** The app child's settings. */
  powDifficulty: number;
  paymentLatencyMs: number;
  paymentFailureRate: number;
  /**
   * 1 → the app runs the buyer checkout (`CHECKOUT=buyer`): every holder pays on the card form,
   * with think time and some abandonment (`behaviour.abandonCheckout`, …); 0 → the worker pays.
   */
  checkout: number;
  /** Client side: loopback source addresses, request sockets, concurrent setups (watchers). */
  sourceAddresses: number;
  requestSockets: number;
  setupConcurrency: number;
  /**
   * The app's front door: its listen backlog (`LISTEN_BACKLOG`; 0 → the app's default), HTTP
   * processes sharing its port (`PROCESSES`, real servers only) and how (`roundRobin` 1 →
   * node:cluster's round robin, 0 → SO_REUSEPORT), and whether the buyers' requests keep their
   * connections alive (`keepAlive` 0 → one connection per request, as a client without keep-alive).
   */
  listenBacklog: number;
  /**
   * Listening sockets per app process (`ACCEPT_LANES`; 0 → the app's default): node accepts one
   * connection per listening socket per turn of its event loop.
   */
  acceptLanes: number;
  processes: number;
  /** 1 → each buyer only signs in (one request on a new connection) and leaves: the front door alone. */
  signInOnly: number;
  roundRobin: number;
  keepAlive: number;
  /** 1 → the app runs under `--cpu-prof`; the report lists its hottest functions. */
  cpuProfile: number;
  /**
   * App instances acting as one sale behind a round-robin proxy in the lab (real servers only);
   * 1 → the buyers talk to the one app directly, as before instances existed.
   */
  instances: number;
  /**
   * With several instances: SIGKILL the one that owns the sale's admission loop this many seconds
   * after the first buyer, and time until another one owns it (0 → never).
   */
  killOwnerAt: number;
  /** Every run stops by itself: buyers still going after this are stopped (ABANDONED). */
  maxRunSeconds: number;
  /** After the load: how long to wait for holds and the consumer to drain before the invariant check. */
  settleSeconds: number;
  behaviour: BuyerBehaviour;
}

const BASE: ProfileParams = {
  buyers: 500,
  spreadMs: 1_000,
  seats: 100,
  rampSteps: [50, 100, 200],
  stepSeconds: 15,
  arrivalsPerSecond: 20,
  soakSeconds: 60,
  watchers: 2_000,
  watcherBatch: 250,
  holdSeconds: 10,
  admitPerTick: 50,
  tickMs: 250,
  maxActive: 300,
  holdMs: 120_000,
  powDifficulty: 4,
  paymentLatencyMs: 200,
  paymentFailureRate: 0.05,
  checkout: 0,
  sourceAddresses: 4,
  requestSockets: 2_048,
  setupConcurrency: 64,
  listenBacklog: 0,
  acceptLanes: 0,
  processes: 1,
  signInOnly: 0,
  roundRobin: 0,
  keepAlive: 1,
  cpuProfile: 0,
  instances: 1,
  killOwnerAt: 0,
  maxRunSeconds: 110,
  settleSeconds: 30,
  behaviour: DEFAULT_BEHAVIOUR,
};

/** The defaults of each profile. */
export const PROFILE_DEFAULTS: Record<ProfileName, ProfileParams> = {
  spike: { ...BASE, buyers: 2_000, seats: 200, maxRunSeconds: 100 },
  ramp: { ...BASE, seats: 2_000, maxRunSeconds: 100 },
  soak: { ...BASE, seats: 5_000, arrivalsPerSecond: 20, soakSeconds: 60, maxRunSeconds: 100 },
  watchers: {
    ...BASE,
    seats: 10,
    // nobody is admitted: every watcher stays in the waiting room on its stream
    admitPerTick: 1,
    tickMs: 600_000,
    maxActive: 1,
    maxRunSeconds: 110,
    behaviour: { ...DEFAULT_BEHAVIOUR, abandonWhileWaiting: 0, queueTimeoutMs: 600_000 },
  },
};

/**
 * Applies `--name value` overrides to a profile's defaults. Numbers, comma lists (rampSteps,
 * thinkMs) and `behaviour.<field>` keys are understood; an unknown key is an error listing the
 * known ones, so a typo never runs silently with the default.
 */
export function applyOverrides(base: ProfileParams, overrides: Record<string, string>): ProfileParams {
  const params: ProfileParams = { ...base, behaviour: { ...base.behaviour } };
  const problems: string[] = [];
  for (const [key, raw] of Object.entries(overrides)) {
    const [head, field] = key.split('.');
    const target = (head === 'behaviour' ? params.behaviour : params) as unknown as Record<string, unknown>;
    const name = head === 'behaviour' ? field : head;
    if (!name || !(name in target) || (head !== 'behaviour' && name === 'behaviour')) {
      problems.push(`unknown parameter --${key}`);
      continue;
    }
    const current = target[name];
    const numbers = raw.split(',').map(Number);
    if (numbers.some((n) => !Number.isFinite(n) || n < 0)) {
      problems.push(`--${key} must be a non-negative number (or a comma list): ${raw}`);
      continue;
    }
    if (Array.isArray(current)) target[name] = numbers;
    else if (numbers.length === 1) target[name] = numbers[0];
    else problems.push(`--${key} takes one number: ${raw}`);
  }
  if (problems.length > 0) {
    const known = [
      ...Object.keys(base).filter((k) => k !== 'behaviour'),
      ...Object.keys(base.behaviour).map((k) => `behaviour.${k}`),
    ];
    throw new Error(`${problems.join('; ')}\nknown parameters: ${known.map((k) => `--${k}`).join(' ')}`);
  }
  return params;
}
