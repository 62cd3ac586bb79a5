import { afterEach, describe, expect, it } from 'vitest';
import {
  ConfigurationError,
  createSeatRushRuntime,
  FakePaymentGateway,
  type JoinGuard,
  memoryPorts,
  type RuntimePorts,
  type SeatRushRuntime,
} from '../../src';
import { generalSale, SECRET, seatedSale } from '../services/fixtures';
import { admitted } from './admitted';

describe('createSeatRushRuntime', () => {
  const running: SeatRushRuntime[] = [];
  const runtimeOn = (ports: RuntimePorts) => {
    const runtime = createSeatRushRuntime({
      ports,
      payments: new FakePaymentGateway(),
      admissionSecret: SECRET,
      // the test ticks the rooms itself
      loops: { admission: false },
    });
    running.push(runtime);
    return runtime;
  };
  afterEach(async () => {
    for (const runtime of running.splice(0)) await runtime.close();
  });

  it('serves several sales with one worker: each buyer goes from the queue to a confirmed reservation', async () => {
    const runtime = runtimeOn(memoryPorts());
    await runtime.start();
    const concert = await runtime.define(seatedSale());
    const festival = await runtime.define(generalSale());
    expect(
      runtime
        .sales()
        .map((s) => s.sale.id)
        .sort(),
    ).toEqual(['sale-ga', 'sale-seated']);
    const confirmed: string[] = [];
    for (const sale of [concert, festival])
      sale.hooks.on('confirmed', ({ saleId }) => void confirmed.push(saleId));

    const seat = await concert.reservations.reserve({
      userId: 'ana',
      idempotencyKey: 'k1',
      selection: { kind: 'seats', seatIds: ['A1', 'A2'] },
      admissionToken: await admitted(concert, 'ana'),
    });
    const units = await festival.reservations.reserve({
      userId: 'ben',
      idempotencyKey: 'k2',
      selection: { kind: 'quantity', quantity: 3 },
      admissionToken: await admitted(festival, 'ben'),
    });
    expect(seat).toMatchObject({ ok: true, code: 'ACCEPTED', amountCents: 18_000 });
    expect(units).toMatchObject({ ok: true, code: 'ACCEPTED', amountCents: 15_000 });
    await runtime.drain();
    for (const [sale, result] of [
      [concert, seat],
      [festival, units],
    ] as const) {
      expect(await sale.reservation(result.ok ? result.reservationId : '')).toMatchObject({
        status: 'CONFIRMED',
      });
    }
    // the one worker's results fire each sale's own hooks
    await expect.poll(() => confirmed.sort()).toEqual(['sale-ga', 'sale-seated']);
    expect(await runtime.health()).toMatchObject({ worker: 'running', workerLag: 0 });
  });

  it('gives an assigned sale its group allocation and every sale its waiting list', async () => {
    const runtime = runtimeOn(memoryPorts());
    await runtime.start();
    const concert = await runtime.define(seatedSale());
    const festival = await runtime.define(generalSale());
    expect(festival.groups).toBeNull();
    const group = await concert.groups?.reserveGroup({
      userId: 'cy',
      idempotencyKey: 'g1',
      size: 3,
      admissionToken: await admitted(concert, 'cy'),
    });
    expect(group).toMatchObject({ ok: true, adjacent: true, hold: { seatIds: ['A1', 'A2', 'A3'] } });
    await runtime.drain();
    expect(await concert.reservation(group?.ok ? group.reservationId : '')).toMatchObject({
      status: 'CONFIRMED',
    });
    expect(await festival.waitingList?.join({ userId: 'dee', size: 1 })).toMatchObject({ ok: true });
  });

  it('hands on the bot guard its queues run (joinGuard), for the other ways into a sale; null without one', async () => {
    const refusing: JoinGuard = async () => ({ allowed: false, code: 'BLOCKED' });
    const guarded = createSeatRushRuntime({
      ports: memoryPorts(),
      payments: new FakePaymentGateway(),
      admissionSecret: SECRET,
      guard: refusing,
    });
    running.push(guarded);
    expect(guarded.joinGuard).toBe(refusing);
    await guarded.start();
    const sale = await guarded.define(generalSale());
    // the guard handed on is the one the queue runs
    expect(await sale.queue.join({ userId: 'ana' })).toMatchObject({ ok: false, code: 'BLOCKED' });
    expect(runtimeOn(memoryPorts()).joinGuard).toBeNull();
  });

  it('after a restart serves again every sale the source of truth has that is not closed', async () => {
    const ports = memoryPorts();
    const first = runtimeOn(ports);
    await first.start();
    await first.define(seatedSale());
    const closing = await first.define(generalSale());
    await closing.close();
    await first.close();

    const second = runtimeOn({ ...ports });
    expect(await second.start()).toEqual(['sale-seated']);
    expect(second.sale('sale-seated')?.state).toBe('OPEN');
    expect(second.sale('sale-ga')).toBeUndefined();
  });

  it('closes what the bundles opened, and every step is bounded', async () => {
    const closed: string[] = [];
    const ports = memoryPorts();
    const runtime = createSeatRushRuntime({
      ports: { ...ports, close: async () => void closed.push('bundles') },
      payments: new FakePaymentGateway(),
      admissionSecret: SECRET,
      shutdownStepMs: 50,
    });
    await runtime.start();
    const sale = await runtime.define(generalSale());
    // a sale whose stop hangs: close goes on after the bound and says so
    sale.stop = () => new Promise(() => {});
    await runtime.close();
    expect(closed).toEqual(['bundles']);
    expect(runtime.alerts).toBeDefined();
  });

  it('refuses wrong ports at construction, naming the port and what it lacks', () => {
    const ports = memoryPorts();
    const build = (broken: Record<string, unknown>) => () =>
      createSeatRushRuntime({
        ports: { ...ports, ...broken } as unknown as RuntimePorts,
        payments: new FakePaymentGateway(),
        admissionSecret: SECRET,
      });
    // the mistake a newcomer makes: the bus itself where a consumer factory belongs
    expect(build({ consumer: ports.bus })).toThrow(/consumer must be a function/);
    expect(build({ repository: undefined })).toThrow(/repository is missing/);
    expect(build({ inventory: { reserve: async () => ({}) } })).toThrow(/inventory lacks load, confirm/);
    expect(build({ publisher: {} })).toThrow(ConfigurationError);
    expect(() => createSeatRushRuntime({ ports, payments: {} as never, admissionSecret: SECRET })).toThrow(
      /payments/,
    );
    expect(() =>
      createSeatRushRuntime({
        ports: { ...ports, steps: undefined },
        payments: new FakePaymentGateway(),
        admissionSecret: SECRET,
        strategy: 'lock',
      }),
    ).toThrow(/lock strategy/);
  });
});
