import { describe, expect, it } from 'vitest';
import { NotificationRelay } from '../../src/checkout/notification-relay';
import { MemoryAlertSink } from '../../src/memory/alert-sink';
import { ManualClock } from '../../src/memory/manual-clock';
import { MemoryNotificationOutbox, MemoryNotificationSender } from '../../src/memory/notification-outbox';
import type { Notification } from '../../src/ports/notification-outbox';

const note = (id: string, createdAt: number): Notification => ({
  notificationId: id,
  kind: 'RESERVATION_CONFIRMED',
  saleId: 's',
  userId: 'u',
  reservationId: id,
  data: {},
  createdAt,
});

function relayWith(sender = new MemoryNotificationSender()) {
  const clock = new ManualClock();
  const outbox = new MemoryNotificationOutbox();
  const relay = new NotificationRelay({
    outbox,
    sender,
    clock,
    alerts: new MemoryAlertSink(),
    retryDelayMs: 1_000,
    leaseMs: 30_000,
  });
  return { clock, outbox, sender, relay };
}

describe('NotificationRelay', () => {
  it('sends each notification once, oldest first, and an enqueue of the same id adds nothing', async () => {
    const r = relayWith();
    expect(await r.outbox.enqueue(note('b', r.clock.now() + 1))).toBe(true);
    expect(await r.outbox.enqueue(note('a', r.clock.now()))).toBe(true);
    expect(await r.outbox.enqueue(note('a', r.clock.now()))).toBe(false);
    r.clock.advance(1);
    expect(await r.relay.relayOnce()).toEqual({ sent: 2, failed: 0 });
    expect(await r.relay.relayOnce()).toEqual({ sent: 0, failed: 0 });
    expect(r.sender.sent().map((n) => n.notificationId)).toEqual(['a', 'b']);
    expect(await r.outbox.notification('a')).toMatchObject({ status: 'SENT', attempts: 1 });
  });

  it('retries a failed delivery with backoff', async () => {
    let failures = 2;
    const inner = new MemoryNotificationSender();
    const r = relayWith({
      send: async (n) => {
        if (failures-- > 0) throw new Error('smtp down');
        await inner.send(n);
      },
    } as MemoryNotificationSender);
    await r.outbox.enqueue(note('a', r.clock.now()));
    expect(await r.relay.relayOnce()).toEqual({ sent: 0, failed: 1 });
    expect(await r.relay.relayOnce()).toEqual({ sent: 0, failed: 0 }); // not due before 1 s
    r.clock.advance(1_000);
    expect(await r.relay.relayOnce()).toEqual({ sent: 0, failed: 1 });
    r.clock.advance(1_999);
    expect(await r.relay.relayOnce()).toEqual({ sent: 0, failed: 0 }); // 2 s the second time
    r.clock.advance(1);
    expect(await r.relay.relayOnce()).toEqual({ sent: 1, failed: 0 });
    expect(await r.outbox.notification('a')).toMatchObject({
      status: 'SENT',
      attempts: 3,
      lastError: 'smtp down',
    });
  });

  it('after a crash between sending and marking, sends again once the lease ends, with the same id', async () => {
    const r = relayWith();
    await r.outbox.enqueue(note('a', r.clock.now()));
    const [claimed] = await r.outbox.claim({ now: r.clock.now(), limit: 10, leaseMs: 30_000 });
    await r.sender.send(claimed!); // ... and the process dies here
    expect(await r.relay.relayOnce()).toEqual({ sent: 0, failed: 0 }); // leased: another relay leaves it
    r.clock.advance(30_000);
    expect(await r.relay.relayOnce()).toEqual({ sent: 1, failed: 0 });
    expect(r.sender.sent().map((n) => n.notificationId)).toEqual(['a', 'a']);
  });
});
