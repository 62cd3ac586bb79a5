import { z } from 'zod';
import { EpochMs, SaleId, UserId } from '../common/ids';
import { SALE_STATES } from '../lifecycle/sale';
import { AdaptivePolicy } from '../queue/adaptive-admission';
import { QueueingMethod } from './queueing-store';

/** A sale's lifecycle state as the shared store keeps it. */
export const SaleStateSchema = z.enum(SALE_STATES);

/** The admission settings every instance applies: rate, interval and the cap on active users. */
export const SaleAdmissionControl = z.strictObject({
  /** Users admitted per tick; the operator or the adaptive controller changes it while the sale runs. */
  usersPerInterval: z.number().int().positive(),
  intervalMs: z.number().int().min(100).max(3_600_000),
  /** At most this many admitted users at once. */
  maxActive: z.number().int().positive(),
  /** Admission held by the adaptive controller (the lifecycle stays OPEN; an operator pause is PAUSED). */
  paused: z.boolean(),
});
export type SaleAdmissionControl = z.infer<typeof SaleAdmissionControl>;

/** The adaptive controller's last decision, with when it was made. */
export const RecordedAdaptiveDecision = z.strictObject({
  usersPerInterval: z.number().int().positive(),
  paused: z.boolean(),
  health: z.enum(['healthy', 'degraded', 'critical', 'recovering']),
  reasons: z.array(z.string().max(200)).max(20),
  at: EpochMs,
});
export type RecordedAdaptiveDecision = z.infer<typeof RecordedAdaptiveDecision>;

/**
 * Everything that decides how a sale behaves, shared by every instance. `revision` grows by one
 * with every change, so an instance checks its cached copy with one cheap read.
 */
export const SaleControl = z.strictObject({
  saleId: SaleId,
  revision: z.number().int().positive(),
  state: SaleStateSchema,
  admission: SaleAdmissionControl,
  queueingMethod: QueueingMethod,
  /** The operator's bounds for adaptive admission; null when the rate is fixed. */
  adaptivePolicy: AdaptivePolicy.nullable(),
  lastAdaptiveDecision: RecordedAdaptiveDecision.nullable(),
  updatedAt: EpochMs,
});
export type SaleControl = z.infer<typeof SaleControl>;

/** Input of {@link SaleControlStore.initialize}. */
export const InitializeSaleControlInput = z.strictObject({
  saleId: SaleId,
  state: SaleStateSchema.default('DRAFT'),
  admission: SaleAdmissionControl.omit({ paused: true }),
  queueingMethod: QueueingMethod.default('fifo'),
  adaptivePolicy: AdaptivePolicy.nullable().default(null),
  now: EpochMs,
});
export type InitializeSaleControlInput = z.input<typeof InitializeSaleControlInput>;

/** Input of {@link SaleControlStore.transition}: compare-and-set of the lifecycle state. */
export const SaleStateChangeInput = z.strictObject({
  saleId: SaleId,
  from: SaleStateSchema,
  to: SaleStateSchema,
  now: EpochMs,
});
export type SaleStateChangeInput = z.infer<typeof SaleStateChangeInput>;

/** Input of {@link SaleControlStore.configure}: the operator's settings, each optional. */
export const ConfigureSaleInput = z.strictObject({
  saleId: SaleId,
  admission: SaleAdmissionControl.omit({ paused: true }).partial().optional(),
  queueingMethod: QueueingMethod.optional(),
  adaptivePolicy: AdaptivePolicy.nullable().optional(),
  /** Applies only if the record is still at this revision (the operator edited what they saw). */
  expectedRevision: z.number().int().positive().optional(),
  now: EpochMs,
});
export type ConfigureSaleInput = z.input<typeof ConfigureSaleInput>;

/** Input of {@link SaleControlStore.recordAdaptiveDecision}. */
export const RecordAdaptiveDecisionInput = z.strictObject({
  saleId: SaleId,
  decision: RecordedAdaptiveDecision.omit({ at: true }),
  /** The admission lease's token: a decision from a holder older than the newest one seen is refused. */
  fencingToken: z.number().int().positive(),
  now: EpochMs,
});
export type RecordAdaptiveDecisionInput = z.input<typeof RecordAdaptiveDecisionInput>;

/** Input of the invitation revocation methods. */
export const InvitationRevocationInput = z.strictObject({ saleId: SaleId, userId: UserId });

/**
 * The answer of a conditional write: `applied` false when the condition did not hold (another
 * instance changed the state first, a stale revision or fencing token); `control` is the record
 * as it is now either way.
 */
export type SaleControlWrite =
  | { applied: true; control: SaleControl }
  | { applied: false; reason: 'STATE_CHANGED' | 'REVISION_CHANGED' | 'STALE_FENCE'; control: SaleControl };

/**
 * What decides how a sale behaves — lifecycle state, admission rate and cap, queueing method,
 * adaptive policy and its last decision, invitation revocations — in the store every instance
 * shares, so a change made on one instance holds on all. Every write is conditional (compare and
 * set), so two instances racing cannot both apply. Keys of one sale share its hash tag.
 *
 * Unknown sales throw `UnknownSaleError`; bad input `ValidationError`; a failed store
 * `InfrastructureError` (answer 503 — never fall back to a local copy).
 */
export interface SaleControlStore {
  /** Writes the record unless one exists; `created` says which. Every instance may call it at start. */
  initialize(input: InitializeSaleControlInput): Promise<{ created: boolean; control: SaleControl }>;
  /** The record, or null when the sale was never initialized. */
  read(saleId: string): Promise<SaleControl | null>;
  /** The record's revision alone (one small read), or null: how a cache checks it is current. */
  revision(saleId: string): Promise<number | null>;
  /** Moves the lifecycle state `from` → `to` only if it is still `from` (decide with `transitionSale`). */
  transition(input: SaleStateChangeInput): Promise<SaleControlWrite>;
  /** Changes the operator's settings (merged into the current ones). */
  configure(input: ConfigureSaleInput): Promise<SaleControlWrite>;
  /** Stores the adaptive controller's decision and applies its rate and pause, fenced by the lease token. */
  recordAdaptiveDecision(input: RecordAdaptiveDecisionInput): Promise<SaleControlWrite>;
  /** Revokes `userId`'s invitations to the sale: a lane they open is refused from now on. */
  revokeInvitation(input: { saleId: string; userId: string }): Promise<void>;
  /** Whether `userId`'s invitations to the sale were revoked. */
  isInvitationRevoked(input: { saleId: string; userId: string }): Promise<boolean>;
}
