import { describe, expect, it } from 'vitest';
import { type DownstreamHealth, ValidationError } from '../../src';
import { MemoryWaitingRoomStore } from '../../src/subpaths/memory';
import {
  AdaptiveAdmission,
  AdaptivePolicy,
  AdmissionTokens,
  HealthMeter,
  nextAdmission,
  WaitingRoom,
} from '../../src/subpaths/services';
import { ManualClock } from '../../src/subpaths/testing';
import { adaptivePolicy, generalSale, SECRET } from '../services/fixtures';

const policy = AdaptivePolicy.parse(adaptivePolicy());

describe('nextAdmission (AIMD within the operator’s bounds)', () => {
  it('grows additively while healthy, up to the maximum', () => {
    expect(
      nextAdmission({ usersPerInterval: 50, paused: false }, { consumerLag: 10, apiP99Ms: 100 }, policy),
    ).toEqual({
      usersPerInterval: 60,
      paused: false,
      health: 'healthy',
      reasons: [],
    });
    expect(nextAdmission({ usersPerInterval: 95, paused: false }, {}, policy).usersPerInterval).toBe(100);
  });

  it('halves on any degraded signal, never below the minimum', () => {
    for (const health of [
      { consumerLag: 2_000 },
      { apiP99Ms: 800 },
      { holdSuccessRate: 0.2 },
    ] as DownstreamHealth[]) {
      const decision = nextAdmission({ usersPerInterval: 60, paused: false }, health, policy);
      expect(decision).toMatchObject({ usersPerInterval: 30, paused: false, health: 'degraded' });
      expect(decision.reasons).toHaveLength(1);
    }
    expect(
      nextAdmission({ usersPerInterval: 12, paused: false }, { consumerLag: 5_000 }, policy).usersPerInterval,
    ).toBe(10);
  });

  it('pauses when the pipeline falls behind and resumes only once every signal is healthy again', () => {
    const critical = nextAdmission({ usersPerInterval: 80, paused: false }, { consumerLag: 12_000 }, policy);
    expect(critical).toMatchObject({ paused: true, health: 'critical', usersPerInterval: 10 });
    // below the pause threshold but above target: stays paused (no flapping)
    expect(
      nextAdmission({ usersPerInterval: 10, paused: true }, { consumerLag: 5_000 }, policy),
    ).toMatchObject({
      paused: true,
      health: 'recovering',
    });
    expect(nextAdmission({ usersPerInterval: 10, paused: true }, { consumerLag: 100 }, policy)).toMatchObject(
      {
        paused: false,
        health: 'healthy',
        usersPerInterval: 10,
      },
    );
    expect(nextAdmission({ usersPerInterval: 50, paused: false }, { apiP99Ms: 4_000 }, policy).paused).toBe(
      true,
    );
  });

  it('refuses inconsistent bounds', () => {
    expect(() => AdaptivePolicy.parse({ minUsersPerInterval: 50, maxUsersPerInterval: 10 })).toThrow();
    expect(() =>
      AdaptivePolicy.parse({
        minUsersPerInterval: 1,
        maxUsersPerInterval: 10,
        targetConsumerLag: 5,
        pauseConsumerLag: 5,
      }),
    ).toThrow();
  });
});

describe('AdaptiveAdmission on a WaitingRoom', () => {
  function setup() {
    const room = new WaitingRoom({
      sale: generalSale({
        opensAt: 0,
        admission: {
          usersPerInterval: 50,
          intervalMs: 1_000,
          maxActive: 1_000,
          sessionMs: 60_000,
          heartbeatTimeoutMs: 30_000,
        },
      }),
      store: new MemoryWaitingRoomStore(),
      tokens: new AdmissionTokens({ secret: SECRET }),
      clock: new ManualClock(1_000),
    });
    let health: DownstreamHealth = {};
    const adaptive = new AdaptiveAdmission({
      room,
      probe: async () => health,
      policy: { minUsersPerInterval: 10, maxUsersPerInterval: 100 },
    });
    return { room, adaptive, set: (h: DownstreamHealth) => (health = h) };
  }

  it('steers the rate and pauses the tick when lag explodes, then recovers', async () => {
    const { room, adaptive, set } = setup();
    set({ consumerLag: 0 });
    await adaptive.adjust();
    expect(room.admissionRate).toMatchObject({ usersPerInterval: 60, paused: false });
    set({ consumerLag: 50_000 });
    expect(await adaptive.adjust()).toMatchObject({ health: 'critical' });
    expect(room.admissionRate).toMatchObject({ usersPerInterval: 10, paused: true });
    expect(await room.tick()).toMatchObject({ skipped: 'PAUSED' });
    set({ consumerLag: 0 });
    await adaptive.adjust();
    expect(room.admissionRate).toMatchObject({ usersPerInterval: 10, paused: false });
  });

  it('leaves an operator’s pause alone and takes new bounds live', async () => {
    const { room, adaptive, set } = setup();
    room.pause();
    set({ consumerLag: 0 });
    expect(await adaptive.adjust()).toMatchObject({ paused: true, reasons: ['paused by the operator'] });
    expect(room.admissionRate.paused).toBe(true);
    room.resume();
    adaptive.setPolicy({ maxUsersPerInterval: 55 });
    await adaptive.adjust();
    expect(room.admissionRate.usersPerInterval).toBe(55);
    expect(() => adaptive.setPolicy({ minUsersPerInterval: 500 })).toThrow(ValidationError);
    expect(adaptive.bounds.maxUsersPerInterval).toBe(55);
  });
});

describe('HealthMeter', () => {
  it('reports the hold success rate and p99 over its window, plus the consumer lag', async () => {
    const meter = new HealthMeter(10_000);
    expect(meter.snapshot(0)).toEqual({});
    for (let i = 0; i < 100; i += 1) meter.record({ at: 1_000 + i, held: i % 4 !== 0, latencyMs: i + 1 });
    expect(meter.snapshot(2_000)).toEqual({ holdSuccessRate: 0.75, apiP99Ms: 99 });
    const probe = meter.probe({ now: () => 2_000, consumer: { lag: async () => 42 } });
    expect(await probe()).toEqual({ holdSuccessRate: 0.75, apiP99Ms: 99, consumerLag: 42 });
    // the window moves on: old requests no longer count
    meter.record({ at: 15_000, held: false, latencyMs: 5 });
    expect(meter.snapshot(15_000)).toEqual({ holdSuccessRate: 0, apiP99Ms: 5 });
  });

  it('drives AdaptiveAdmission: a failing hot path halves the rate', async () => {
    const room = {
      admissionRate: { usersPerInterval: 40, paused: false },
      setAdmissionRate: (r: { usersPerInterval?: number }) => {
        room.admissionRate.usersPerInterval = r.usersPerInterval ?? room.admissionRate.usersPerInterval;
      },
      pause: () => {},
      resume: () => {},
    };
    const meter = new HealthMeter();
    for (let i = 0; i < 10; i += 1) meter.record({ at: 100, held: false, latencyMs: 10 });
    const adaptive = new AdaptiveAdmission({
      room,
      probe: meter.probe({ now: () => 200 }),
      policy: { minUsersPerInterval: 5, maxUsersPerInterval: 100 },
    });
    expect(await adaptive.adjust()).toMatchObject({ health: 'degraded', usersPerInterval: 20 });
    expect(room.admissionRate.usersPerInterval).toBe(20);
  });
});
