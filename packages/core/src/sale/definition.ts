import { z } from 'zod';
import { EpochMs, SaleId, SeatId } from '../common/ids';
import { validate } from '../common/validate';

/** Tier ids: the safe alphabet, shorter (they are copied into every seat and reservation). */
const shortId = (what: string) =>
  z.string().regex(/^[A-Za-z0-9_.-]{1,32}$/, `${what} must be 1-32 characters of A-Z a-z 0-9 _ . -`);

/** Largest seat map accepted: a big stadium, with room; keeps a typo from loading millions of seats. */
export const MAX_SEATS_PER_SALE = 500_000;

/** A price tier: every unit of stock (a seat, or the general-admission pool) belongs to one. */
export const PriceTier = z.strictObject({
  id: shortId('tier id'),
  name: z.string().min(1).max(100),
  priceCents: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
});
export type PriceTier = z.infer<typeof PriceTier>;

/** One seat of a seat map: one unit of stock, in the price tier `tier`. */
export const Seat = z.strictObject({ id: SeatId, label: z.string().min(1).max(32), tier: shortId('tier') });
export type Seat = z.infer<typeof Seat>;
/** A row of seats; its id is unique within its section. */
export const SeatRow = z.strictObject({ id: z.string().min(1).max(32), seats: z.array(Seat).min(1) });
export type SeatRow = z.infer<typeof SeatRow>;
/** A section of a seat map; its id is unique within the sale. */
export const SeatSection = z.strictObject({
  id: z.string().min(1).max(32),
  name: z.string().min(1).max(100),
  rows: z.array(SeatRow).min(1),
});
export type SeatSection = z.infer<typeof SeatSection>;

/** General admission: a count of identical units, no seat choice. */
export const GeneralAdmission = z.strictObject({
  kind: z.literal('general'),
  capacity: z.number().int().positive().max(10_000_000),
  tier: shortId('tier'),
});
/** Assigned seating: a seat map; every seat is one unit of stock. */
export const AssignedSeating = z.strictObject({
  kind: z.literal('assigned'),
  sections: z.array(SeatSection).min(1),
});
/** A sale's stock: general admission or assigned seating. */
export const Inventory = z.discriminatedUnion('kind', [GeneralAdmission, AssignedSeating]);
export type Inventory = z.infer<typeof Inventory>;

/** Token bucket: bursts up to `capacity`, refilled at `refillPerSecond`. */
export const TokenBucketPolicy = z.strictObject({
  kind: z.literal('token-bucket'),
  /** Tokens the bucket holds: the burst allowed. */
  capacity: z.number().int().positive(),
  /** Tokens added per second. */
  refillPerSecond: z.number().positive(),
});
/** Sliding window: at most `limit` requests in any window of `windowMs`. */
export const SlidingWindowPolicy = z.strictObject({
  kind: z.literal('sliding-window'),
  /** Requests allowed in any window of `windowMs`. */
  limit: z.number().int().positive(),
  windowMs: z.number().int().positive(),
});
/** A rate-limit policy: token bucket or sliding window (docs/design.md §Traffic control and bot defence). */
export const RateLimitPolicy = z.discriminatedUnion('kind', [TokenBucketPolicy, SlidingWindowPolicy]);
export type RateLimitPolicy = z.infer<typeof RateLimitPolicy>;

/** How the waiting room lets users in (docs/design.md §Waiting room). */
export const AdmissionSettings = z.strictObject({
  /** Users admitted per tick. The operator may change it while the sale runs. */
  usersPerInterval: z.number().int().positive(),
  intervalMs: z.number().int().min(100).default(1_000),
  /** Upper bound on admitted users at once: admission waits while this many are active. */
  maxActive: z.number().int().positive(),
  /** How long an admission lasts unless renewed by activity. */
  sessionMs: z.number().int().positive().default(600_000),
  /** Waiting users silent (no heartbeat) for this long lose their place. */
  heartbeatTimeoutMs: z.number().int().positive().default(60_000),
});
export type AdmissionSettings = z.infer<typeof AdmissionSettings>;

const SaleShape = z.strictObject({
  id: SaleId,
  name: z.string().min(1).max(200),
  inventory: Inventory,
  tiers: z.array(PriceTier).min(1).max(100),
  opensAt: EpochMs,
  /** How long a hold lasts before the seat goes back on sale. */
  holdMs: z.number().int().min(1_000).max(3_600_000).default(300_000),
  admission: AdmissionSettings,
  limits: z
    .strictObject({ ticketsPerUser: z.number().int().positive().max(100).default(4) })
    .default({ ticketsPerUser: 4 }),
  rateLimits: z
    .strictObject({
      perUser: RateLimitPolicy.optional(),
      perIp: RateLimitPolicy.optional(),
      global: RateLimitPolicy.optional(),
    })
    .default({}),
});

type Issue = { path: PropertyKey[]; message: string };
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/**
 * The cross-field rules (tier references, repeated ids, seat-map size). They read the value
 * defensively because they run even when other fields failed to parse: a definition is rejected
 * with every problem found, not only those of the first failing layer.
 */
function crossFieldIssues(sale: unknown): Issue[] {
  if (!isRecord(sale)) return [];
  const issues: Issue[] = [];
  const tierIds = list(sale.tiers)
    .map((t) => (isRecord(t) ? t.id : undefined))
    .filter((id): id is string => typeof id === 'string');
  const tiers = new Set(tierIds);
  if (tiers.size !== tierIds.length) {
    const repeated = [...new Set(tierIds.filter((id, i) => tierIds.indexOf(id) !== i))];
    issues.push({ path: ['tiers'], message: `tier ids repeat: ${repeated.join(', ')}` });
  }
  // Without a readable tier list, "unknown tier" would be noise: the tiers' own issue says it all.
  const checkTiers = Array.isArray(sale.tiers);
  const unknownTier = (tier: unknown) => checkTiers && typeof tier === 'string' && !tiers.has(tier);
  const inventory = sale.inventory;
  if (!isRecord(inventory)) return issues;
  if (inventory.kind === 'general') {
    if (unknownTier(inventory.tier))
      issues.push({ path: ['inventory', 'tier'], message: `unknown tier ${String(inventory.tier)}` });
    return issues;
  }
  const seats = countSeats(sale);
  if (seats > MAX_SEATS_PER_SALE) {
    // per-seat problems of a map refused anyway would only bury the one that matters
    issues.push({
      path: ['inventory', 'sections'],
      message: `the seat map has ${seats} seats; at most ${MAX_SEATS_PER_SALE} are allowed`,
    });
    return issues;
  }
  const seatIds = new Set<string>();
  const sectionIds = new Set<unknown>();
  for (const [s, section] of list(inventory.sections).entries()) {
    if (!isRecord(section)) continue;
    if (sectionIds.has(section.id))
      issues.push({
        path: ['inventory', 'sections', s, 'id'],
        message: `section id ${String(section.id)} repeats`,
      });
    sectionIds.add(section.id);
    const rowIds = new Set<unknown>();
    for (const [r, row] of list(section.rows).entries()) {
      if (!isRecord(row)) continue;
      if (rowIds.has(row.id))
        issues.push({
          path: ['inventory', 'sections', s, 'rows', r, 'id'],
          message: `row id ${String(row.id)} repeats in section ${String(section.id)}`,
        });
      rowIds.add(row.id);
      for (const [i, seat] of list(row.seats).entries()) {
        if (!isRecord(seat)) continue;
        const path = ['inventory', 'sections', s, 'rows', r, 'seats', i];
        if (typeof seat.id === 'string') {
          if (seatIds.has(seat.id))
            issues.push({ path: [...path, 'id'], message: `seat id ${seat.id} repeats` });
          seatIds.add(seat.id);
        }
        if (unknownTier(seat.tier))
          issues.push({ path: [...path, 'tier'], message: `unknown tier ${String(seat.tier)}` });
      }
    }
  }
  return issues;
}

const WithoutInventory = SaleShape.omit({ inventory: true });

function seatMapSections(input: unknown): unknown[] {
  return isRecord(input) && isRecord(input.inventory) ? list(input.inventory.sections) : [];
}

/** Seats in the raw input's seat map (a cheap count, before any parsing). */
function countSeats(input: unknown): number {
  let seats = 0;
  for (const section of seatMapSections(input))
    for (const row of isRecord(section) ? list(section.rows) : [])
      seats += isRecord(row) ? list(row.seats).length : 0;
  return seats;
}

function withoutInventory(input: unknown): unknown {
  if (!isRecord(input)) return input;
  const { inventory: _, ...rest } = input;
  return rest;
}

/**
 * A sale as the host defines it: stock (general admission or a seat map), price tiers, opening
 * time, hold duration, admission rate, per-user limits and rate-limit policies. Unknown keys are
 * refused (a typo such as `holdMS` must not silently fall back to a default), and an invalid
 * definition is rejected with every problem listed, the cross-field ones included.
 *
 * Why a transform and not `.superRefine`: zod skips refinements once a field fails with an
 * aborting issue (a non-integer number, say), which would hide the cross-field problems until
 * the host fixed the others; here both layers always run on the raw input.
 */
export const SaleDefinition = z.unknown().transform((input, ctx): z.output<typeof SaleShape> => {
  const report = (issues: readonly Issue[]) => {
    for (const issue of issues) ctx.addIssue({ ...issue, code: 'custom', input: undefined });
  };
  if (countSeats(input) > MAX_SEATS_PER_SALE) {
    // refused whatever its seats say: do not spend seconds parsing each of them
    const rest = WithoutInventory.safeParse(withoutInventory(input));
    report([...(rest.success ? [] : rest.error.issues), ...crossFieldIssues(input)]);
    return z.NEVER;
  }
  const parsed = SaleShape.safeParse(input);
  const issues = [...(parsed.success ? [] : parsed.error.issues), ...crossFieldIssues(input)];
  report(issues);
  return parsed.success && issues.length === 0 ? parsed.data : z.NEVER;
});
/** A sale as the host defines it (input form: defaults may be left out). */
export type SaleDefinitionInput = z.input<typeof SaleShape>;
/** A validated sale with every default filled in. */
export type SaleDefinition = z.output<typeof SaleDefinition>;

/**
 * Validates a sale definition and fills in its defaults.
 * @throws ValidationError listing every problem found, when the definition is invalid.
 */
export function parseSaleDefinition(input: unknown): SaleDefinition {
  return validate('sale definition', SaleDefinition, input);
}

/** Every seat of an assigned-seating sale, in map order. */
export function seatsOf(sale: SaleDefinition): Seat[] {
  if (sale.inventory.kind === 'general') return [];
  return sale.inventory.sections.flatMap((section) => section.rows.flatMap((row) => row.seats));
}

/** Units of stock a sale starts with: the capacity, or the number of seats. */
export function initialStock(sale: SaleDefinition): number {
  return sale.inventory.kind === 'general' ? sale.inventory.capacity : seatsOf(sale).length;
}
