import type { InventoryStore, ReserveRequest, SeatState } from '@seatrush/core';
import fc from 'fast-check';
import { expect } from 'vitest';
import {
  assignedSnapshot,
  freshId,
  generalSnapshot,
  reserveRequest,
  seatIds,
  seats,
  startOfTest,
  units,
} from './fixtures';
import { InventoryModel, type ModelHold } from './inventory-model';

/**
 * How a model-based check sets its runs up. Two plans exist: one for a store that keeps a sale in
 * one place ({@link wholeSaleModelPlan}) and one for a store that stripes general admission
 * ({@link stripedModelPlan}), whose idempotency keys live on their user's home stripe.
 */
export interface ModelPlan {
  /** Buyers are `u0` to `u<users - 1>`. */
  users: number;
  /** Half the runs on assigned seats, and one reserve in ten with the other kind of selection. */
  seated: boolean;
  /** The general-admission sale of a run. */
  general: { stock: number; ticketsPerUser: number };
  /**
   * What a reused key carries that its first request did not: another buyer (a sale in one place
   * knows every key), or another quantity from the same buyer (a striped store knows a key only on
   * its user's home stripe).
   */
  reuseChanges: 'user' | 'quantity';
}

/** The plan of `describeInventoryStore`: general admission and seats, keys reused across users. */
export const wholeSaleModelPlan: ModelPlan = {
  users: 4,
  seated: true,
  general: { stock: 8, ticketsPerUser: 3 },
  reuseChanges: 'user',
};

/** The plan of `describeStripedInventoryStore`: general admission, keys reused by their own user. */
export const stripedModelPlan: ModelPlan = {
  users: 6,
  seated: false,
  general: { stock: 12, ticketsPerUser: 4 },
  reuseChanges: 'quantity',
};

/**
 * The model-based check: random command sequences (reserve, replay, reuse of a key, release,
 * confirm, extend, compensate, time passing, expiry) run against a store and
 * {@link InventoryModel}, which must agree on every answer, the counts (and seats) after every
 * step, the hold a step touched and every hold at the end. 30 sequences of 5 to 40 commands.
 */
export async function checkAgainstModel(inventory: InventoryStore, plan: ModelPlan): Promise<void> {
  await fc.assert(
    fc.asyncProperty(
      plan.seated ? fc.boolean() : fc.constant(false),
      fc.array(commandArbitrary(plan), { minLength: 5, maxLength: 40, size: 'max' }),
      (assigned, commands) => runModel(inventory, plan, assigned, commands),
    ),
    { numRuns: 30 },
  );
}

/** Random commands of the model-based check. `pick` chooses among earlier holds, `user` among the plan's. */
type Command =
  | { kind: 'reserve'; user: number; quantity: number; seats: number[]; wrongKind: boolean }
  | { kind: 'replay'; pick: number }
  | { kind: 'reuse'; pick: number }
  | { kind: 'release' | 'confirm' | 'extend'; pick: number; asOwner: boolean }
  | { kind: 'compensate'; pick: number }
  | { kind: 'advance'; steps: number }
  | { kind: 'expire'; limit: number };

const HOLD_MS = 1_000;
/** Time moves in 333 ms steps: never exactly onto an expiry (1 000 ms), so no boundary ambiguity. */
const STEP_MS = 333;
const MODEL_SEATS = seatIds(2, 4);

function commandArbitrary(plan: ModelPlan): fc.Arbitrary<Command> {
  return fc.oneof(
    {
      weight: 5,
      arbitrary: fc.record({
        kind: fc.constant('reserve' as const),
        user: fc.nat(plan.users - 1),
        quantity: fc.integer({ min: 1, max: 3 }),
        seats: fc.uniqueArray(fc.nat(MODEL_SEATS.length), { minLength: 1, maxLength: 3 }),
        wrongKind: plan.seated ? fc.nat(9).map((n) => n === 0) : fc.constant(false),
      }),
    },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('replay' as const), pick: fc.nat() }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('reuse' as const), pick: fc.nat() }) },
    ...(['release', 'confirm', 'extend', 'extend'] as const).map((kind) => ({
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant(kind), pick: fc.nat(), asOwner: fc.nat(4).map((n) => n > 0) }),
    })),
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('compensate' as const), pick: fc.nat() }) },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constant('advance' as const), steps: fc.integer({ min: 1, max: 4 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('expire' as const), limit: fc.integer({ min: 1, max: 3 }) }),
    },
  );
}

async function runModel(
  inventory: InventoryStore,
  plan: ModelPlan,
  assigned: boolean,
  commands: Command[],
): Promise<void> {
  const saleId = freshId('model');
  const snapshot = assigned
    ? assignedSnapshot(saleId, { rows: 2, perRow: 4, ticketsPerUser: 3 })
    : generalSnapshot(saleId, plan.general);
  await inventory.load(snapshot);
  const model = new InventoryModel(snapshot);
  const requests: ReserveRequest[] = [];
  let now = startOfTest();
  const pickHold = (pick: number) => {
    const holds = [...model.holds.values()];
    return holds.length === 0 ? undefined : holds[pick % holds.length];
  };
  const nextUser = (userId: string) => `u${(Number(userId.slice(1)) + 1) % plan.users}`;
  const reusing = (original: ReserveRequest): Partial<ReserveRequest> => {
    if (plan.reuseChanges === 'user') return { userId: nextUser(original.userId) };
    const { selection } = original;
    return selection.kind === 'quantity' ? { selection: units((selection.quantity % 3) + 1) } : {};
  };

  const reserve = async (request: ReserveRequest) => {
    const expected = model.expectReserve(request);
    const outcome = await inventory.reserve(request);
    if (expected.kind === 'replay') {
      expect(outcome).toMatchObject({
        ok: true,
        replayed: true,
        hold: { reservationId: expected.reservationId },
      });
      // an ended hold is answered as it ended (a live one's time may have passed unswept)
      const status = model.holds.get(expected.reservationId)?.status;
      if (status !== 'HELD') expect(outcome).toMatchObject({ hold: { status } });
    } else if (expected.kind === 'hold') {
      expect(outcome).toMatchObject({
        ok: true,
        replayed: false,
        hold: { reservationId: request.reservationId },
      });
      model.applyHold(request);
      requests.push(request);
    } else {
      expect(outcome.ok, `expected one of ${[...expected.codes]}`).toBe(false);
      if (!outcome.ok) expect([...expected.codes]).toContain(outcome.code);
    }
  };

  for (const command of commands) {
    switch (command.kind) {
      case 'reserve': {
        const seatSelection = seats(...command.seats.map((i) => MODEL_SEATS[i] ?? 'Z9'));
        const useSeats = assigned !== command.wrongKind;
        const selection = useSeats ? seatSelection : units(command.quantity);
        await reserve(reserveRequest(saleId, `u${command.user}`, selection, now, { holdMs: HOLD_MS }));
        break;
      }
      case 'replay':
      case 'reuse': {
        // A replay of any key used, its hold live or ended; a reuse of a key whose hold has units.
        const candidates = requests.filter((r) => {
          const mapped = model.keys.get(r.idempotencyKey);
          const status = mapped && model.holds.get(mapped.reservationId)?.status;
          return command.kind === 'replay' || status === 'HELD' || status === 'CONFIRMED';
        });
        const original = candidates[command.pick % Math.max(1, candidates.length)];
        if (!original) break;
        const changes = command.kind === 'reuse' ? reusing(original) : {};
        await reserve({ ...original, ...changes, reservationId: freshId('r'), now });
        break;
      }
      case 'release':
      case 'confirm':
      case 'extend': {
        const hold = pickHold(command.pick);
        if (!hold) break;
        const userId = command.asOwner ? hold.userId : nextUser(hold.userId);
        const expected = model.expectOwnerChange(hold.reservationId, userId, now);
        const ref = { saleId, reservationId: hold.reservationId, userId, now };
        const outcome =
          command.kind === 'extend'
            ? await inventory.extend({ ...ref, holdMs: HOLD_MS })
            : await inventory[command.kind](ref);
        if (expected.kind === 'ok') {
          expect(outcome, `${command.kind} by the owner of a live hold`).toMatchObject({ ok: true });
          if (command.kind === 'extend') model.extend(hold.reservationId, now + HOLD_MS);
          else model[command.kind](hold.reservationId);
        } else {
          expect(outcome.ok, `expected one of ${[...expected.codes]}`).toBe(false);
          if (!outcome.ok) expect([...expected.codes]).toContain(outcome.code);
        }
        break;
      }
      case 'compensate': {
        const hold = pickHold(command.pick);
        if (!hold) break;
        const restored = model.compensate(hold.reservationId);
        expect(await inventory.compensate({ saleId, reservationId: hold.reservationId })).toMatchObject({
          ok: true,
          restored,
        });
        break;
      }
      case 'advance':
        now += command.steps * STEP_MS;
        break;
      case 'expire': {
        const due = new Set(model.due(now).map((h) => h.reservationId));
        const expired = await inventory.expireDue({ saleId, now, limit: command.limit });
        expect(expired).toHaveLength(Math.min(command.limit, due.size));
        for (const hold of expired) {
          expect(due.has(hold.reservationId), `${hold.reservationId} was not due`).toBe(true);
          due.delete(hold.reservationId);
          model.expire(hold.reservationId);
        }
        break;
      }
    }
    expect(await inventory.counts(saleId)).toEqual({ saleId, ...model.counts() });
    if (assigned) {
      expect(await inventory.seatStates(saleId)).toEqual(model.seatStates() as Record<string, SeatState>);
    }
    if ('pick' in command) {
      const touched = pickHold(command.pick);
      if (touched) await expectHoldAsModelled(inventory, saleId, touched);
    }
  }
  for (const hold of model.holds.values()) await expectHoldAsModelled(inventory, saleId, hold);
}

async function expectHoldAsModelled(
  inventory: InventoryStore,
  saleId: string,
  hold: ModelHold,
): Promise<void> {
  const stored = await inventory.getHold(saleId, hold.reservationId);
  expect(stored, `hold ${hold.reservationId}`).toMatchObject({
    userId: hold.userId,
    quantity: hold.quantity,
    status: hold.status,
    expiresAt: hold.expiresAt,
  });
  expect([...(stored?.seatIds ?? [])].sort()).toEqual([...hold.seatIds].sort());
}
