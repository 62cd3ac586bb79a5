import { type LoopOptions, type PeriodicTask, serviceLoop } from '../hold/periodic';
import type { AlertSink } from '../ports/alert-sink';
import type { Clock } from '../ports/clock';
import type { NotificationOutbox, NotificationSender } from '../ports/notification-outbox';

/** Options of {@link NotificationRelay}. */
export interface NotificationRelayOptions extends LoopOptions {
  outbox: NotificationOutbox;
  sender: NotificationSender;
  clock: Clock;
  alerts: AlertSink;
  /** How often the loop looks; 500 ms. */
  intervalMs?: number;
  /** Notifications a round sends at most; 50. */
  batchSize?: number;
  /** How long a claimed notification is another relay's to leave alone; 30 s. */
  leaseMs?: number;
  /** The first retry's delay, doubled each attempt up to 5 min; 1 s. */
  retryDelayMs?: number;
}

/** What one round did. */
export interface RelayRound {
  sent: number;
  failed: number;
}

/**
 * Sends the outbox's notifications through the host's sender, in any number of instances at once:
 * a round claims (leases) a batch, sends each, and marks it sent — or due again later, with
 * backoff, when the sender failed. A crash between sending and marking means one repeat, with the
 * same `notificationId` for the sender to deduplicate; never a lost notification.
 */
export class NotificationRelay {
  readonly #o: NotificationRelayOptions;
  readonly #task: PeriodicTask;

  constructor(options: NotificationRelayOptions) {
    this.#o = options;
    this.#task = serviceLoop(options, 500, () => this.relayOnce(), {
      code: 'NOTIFICATION_RELAY_FAILED',
      message: 'a notification round failed; the next one retries',
    });
  }

  start(): void {
    this.#task.start();
  }

  stop(): Promise<void> {
    return this.#task.stop();
  }

  /** One round: claims due notifications and sends them. */
  async relayOnce(): Promise<RelayRound> {
    const { outbox, sender, clock } = this.#o;
    const claimed = await outbox.claim({
      now: clock.now(),
      limit: this.#o.batchSize ?? 50,
      leaseMs: this.#o.leaseMs ?? 30_000,
    });
    let sent = 0;
    let failed = 0;
    for (const { attempts, ...notification } of claimed) {
      try {
        await sender.send(notification);
      } catch (error) {
        failed += 1;
        const delay = Math.min((this.#o.retryDelayMs ?? 1_000) * 2 ** attempts, 300_000);
        await outbox.markFailed({
          notificationId: notification.notificationId,
          retryAt: clock.now() + delay,
          error: error instanceof Error ? error.message : String(error),
        });
        continue;
      }
      await outbox.markSent({ notificationId: notification.notificationId, now: clock.now() });
      sent += 1;
    }
    return { sent, failed };
  }
}
