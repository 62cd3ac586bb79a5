import { afterEach, describe, expect, it } from 'vitest';
import {
  createSeatRushRuntime,
  FakePaymentGateway,
  memoryPorts,
  type RuntimePorts,
  type SeatRushRuntime,
} from '../../src';
import { Invitations } from '../../src/subpaths/services';
import { generalSale, SECRET } from '../services/fixtures';

const LEASE_MS = 300;
const invitations = new Invitations({ secret: 'instances-invitation-secret-0123456789abcdef' });

/**
 * Two runtimes over one set of shared stores, as two API instances over one Redis: what one
 * instance's operator does, the other follows within one admission interval (the sale's is 100 ms;
 * the sync follows at most every second).
 */
describe('several runtimes over the same shared stores act as one sale', () => {
  const running: SeatRushRuntime[] = [];
  const instance = (ports: RuntimePorts, worker: boolean) => {
    const runtime = createSeatRushRuntime({
      ports,
      payments: new FakePaymentGateway(),
      admissionSecret: SECRET,
      loopLeaseMs: LEASE_MS,
      discoverIntervalMs: 50,
      adaptiveIntervalMs: 50,
      queueing: { invitations },
      loops: { worker },
    });
    running.push(runtime);
    return runtime;
  };
  afterEach(async () => {
    for (const runtime of running.splice(0).reverse()) await runtime.close();
  });

  async function twoInstances() {
    const shared = memoryPorts();
    // one worker for both, as the example's WORKER=false instances
    const a = instance(shared, true);
    const b = instance({ ...shared }, false);
    await a.start();
    await b.start();
    const definition = generalSale({
      admission: { usersPerInterval: 5, intervalMs: 100, maxActive: 100, sessionMs: 600_000 },
    });
    const onA = await a.define(definition);
    // B serves the sale A defined, from the source of truth, without a restart
    await expect.poll(() => b.sales().map((s) => s.sale.id), { timeout: 3_000 }).toEqual([definition.id]);
    const onB = b.sale(definition.id)!;
    await expect.poll(() => onB.state, { timeout: 3_000 }).toBe('OPEN');
    return { a, b, onA, onB };
  }

  it('a pause made on one instance stops admission on the other; a resume there opens both', async () => {
    const { onA, onB } = await twoInstances();
    expect(onA.state).toBe('OPEN');
    expect((await onA.command('pause')).ok).toBe(true);
    await expect.poll(() => onB.state, { timeout: 1_500, interval: 20 }).toBe('PAUSED');
    expect(onB.waitingRoom.admissionRate.paused).toBe(true);
    // nobody is admitted while paused, whichever instance runs the admission loop
    await onB.queue.join({ userId: 'ana' });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect((await onA.waitingRoom.status({ userId: 'ana' }))?.state).toBe('WAITING');

    expect((await onB.command('resume')).ok).toBe(true);
    await expect.poll(() => onA.state, { timeout: 1_500, interval: 20 }).toBe('OPEN');
    await expect
      .poll(async () => (await onA.waitingRoom.status({ userId: 'ana' }))?.state, { timeout: 2_000 })
      .toBe('ADMITTED');
  });

  it('two operators racing on two instances: the store orders their commands, both instances end alike', async () => {
    const { onA, onB } = await twoInstances();
    const [closeA, pauseB] = await Promise.all([onA.command('close'), onB.command('pause')]);
    // a close is legal from OPEN and from PAUSED; a pause after the close is refused, with the state
    expect(closeA.ok).toBe(true);
    if (!pauseB.ok) expect(pauseB.message).toMatch(/CLOSED/);
    await expect
      .poll(() => [onA.state, onB.state], { timeout: 1_500, interval: 20 })
      .toEqual(['CLOSED', 'CLOSED']);
  });

  it('an admission rate set on one instance is the rate on the other', async () => {
    const { onA, onB } = await twoInstances();
    await onB.setAdmissionRate({ usersPerInterval: 42, maxActive: 77 });
    await expect
      .poll(() => onA.waitingRoom.admissionRate, { timeout: 1_500, interval: 20 })
      .toMatchObject({ usersPerInterval: 42, maxActive: 77 });
  });

  it('runs each loop in one instance; the other takes it over when that one stops', async () => {
    const { onA, onB } = await twoInstances();
    await expect
      .poll(() => [onA.loopLease('admission'), onB.loopLease('admission')].filter(Boolean).length, {
        timeout: 2_000,
      })
      .toBe(1);
    const [owner, other] = onA.loopLease('admission') ? [onA, onB] : [onB, onA];
    const token = owner.loopLease('admission')!.fencingToken;
    await owner.stop();
    await expect.poll(() => other.loopLease('admission') !== null, { timeout: 4 * LEASE_MS }).toBe(true);
    expect(other.loopLease('admission')!.fencingToken).toBeGreaterThan(token);
    // the new owner admits: a buyer joining the other instance's room is let in
    await other.queue.join({ userId: 'bo' });
    await expect
      .poll(async () => (await other.waitingRoom.status({ userId: 'bo' }))?.state, { timeout: 2_000 })
      .toBe('ADMITTED');
  });

  it('only the admission loop’s owner may share an adaptive decision', async () => {
    const { onA, onB } = await twoInstances();
    await expect.poll(() => Boolean(onA.loopLease('admission') || onB.loopLease('admission'))).toBe(true);
    const [owner, other] = onA.loopLease('admission') ? [onA, onB] : [onB, onA];
    const decision = { usersPerInterval: 3, paused: true, health: 'critical' as const, reasons: ['lag'] };
    expect(await other.recordAdaptiveDecision(decision)).toBe(false);
    expect(other.waitingRoom.admissionRate.paused).toBe(false);
    expect(await owner.recordAdaptiveDecision(decision)).toBe(true);
    // the pause the owner's controller decided holds on the other instance too
    await expect
      .poll(() => other.waitingRoom.admissionRate.paused, { timeout: 1_500, interval: 20 })
      .toBe(true);
    expect(other.state).toBe('OPEN');
  });

  it('adaptive admission turned on at one instance is on at the other, and off again everywhere', async () => {
    const { onA, onB } = await twoInstances();
    await onB.adaptive.configure({ enabled: true, maxUsersPerInterval: 9 });
    await expect.poll(() => onA.adaptive.enabled, { timeout: 1_500, interval: 20 }).toBe(true);
    expect(onA.adaptive.view().policy.maxUsersPerInterval).toBe(9);
    await onA.adaptive.configure({ enabled: false });
    await expect.poll(() => onB.adaptive.enabled, { timeout: 1_500, interval: 20 }).toBe(false);
  });

  it('an invitation revoked on one instance is refused on the other', async () => {
    const { onA, onB } = await twoInstances();
    const invitation = invitations.issue({
      saleId: onA.sale.id,
      userId: 'vip',
      lane: 'bypass',
      expiresAt: Date.now() + 60_000,
    });
    await onA.revokeInvitation('vip');
    const refused = await onB.queue.join({ userId: 'vip', invitation });
    expect(refused).toMatchObject({ ok: false, code: 'INVITATION_REFUSED', reason: 'REVOKED' });
    expect(await onB.waitingRoom.status({ userId: 'vip' })).toBeNull();
    // another buyer's invitation still opens the lane
    const other = invitations.issue({
      saleId: onA.sale.id,
      userId: 'guest',
      lane: 'bypass',
      expiresAt: Date.now() + 60_000,
    });
    expect(await onB.queue.join({ userId: 'guest', invitation: other })).toMatchObject({ ok: true });
  });
});
