import type { SimulatedPaymentProvider } from '@seatrush/core';
import type { FaultInjector } from './faults';
import type { Random } from './random';
import { type Component, type Scheduler, TIMED_OUT } from './scheduler';

/** A signed webhook as the provider sends it (raw body and headers). */
export type WebhookDelivery = Parameters<SimulatedPaymentProvider['verifyWebhook']>[0];

/** An instance's webhook endpoint as the provider reaches it: the handler, run in that process. */
export interface WebhookEndpoint {
  component: Component;
  handle(delivery: WebhookDelivery): Promise<unknown>;
}

/** Options of a {@link WebhookChannel}. */
export interface WebhookChannelOptions {
  scheduler: Scheduler;
  faults: FaultInjector;
  random: Random;
  /** The provider's side: it never crashes. */
  broker: Component;
  /** A live instance's endpoint (behind the load balancer), or null while none is up. */
  endpoint(random: Random): WebhookEndpoint | null;
}

/** How many times the provider tries one webhook before it gives up (Stripe tries for days). */
const ATTEMPTS = 8;
/** The provider waits this long for an answer before counting the attempt failed. */
const ANSWER_MS = 5_000;

/**
 * The payment provider's webhooks on their way to the instances, as a provider sends them: each
 * one to any live instance, retried with backoff while the answer is not a 2xx (a thrown handler, a
 * crashed instance, no instance up). The faults: an attempt lost on the way (retried later), a
 * webhook never delivered (the provider gave up), delivered twice, held back (so later ones
 * overtake it), or late (after the hold may have ended). The signature's timestamp is the
 * provider's at emission, so a retry a few minutes late is still within the tolerance.
 */
export class WebhookChannel {
  /** Webhooks still on their way (the sale is not settled while any is). */
  pending = 0;
  /** Deliveries attempted, and how many the provider gave up on. */
  readonly stats = { attempts: 0, dropped: 0, duplicated: 0, late: 0, lost: 0 };

  constructor(private readonly options: WebhookChannelOptions) {}

  /** The provider's `deliver` callback: sends in the background and answers at once. */
  deliver = async (delivery: WebhookDelivery): Promise<void> => {
    const { faults } = this.options;
    const { rates } = faults;
    if (faults.roll('webhook', rates.webhookLost)) {
      this.stats.lost += 1;
      return;
    }
    const copies = faults.roll('webhook', rates.webhookDuplicate) ? 2 : 1;
    if (copies === 2) this.stats.duplicated += 1;
    for (let copy = 0; copy < copies; copy++) {
      this.pending += 1;
      const { scheduler, broker } = this.options;
      void scheduler
        .run(broker, () => this.#send(delivery))
        .finally(() => {
          this.pending -= 1;
        });
    }
  };

  async #send(delivery: WebhookDelivery): Promise<void> {
    const { scheduler, faults, random, broker } = this.options;
    const { rates } = faults;
    if (faults.roll('webhook', rates.webhookLate)) {
      this.stats.late += 1;
      await scheduler.sleep(broker, random.between(5_000, 30_000), 'webhook late');
    } else if (faults.roll('webhook', rates.webhookDelay)) {
      await scheduler.sleep(broker, random.between(1, 3_000), 'webhook held back');
    } else {
      await scheduler.gate(broker, 'webhook');
    }
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      this.stats.attempts += 1;
      if (faults.roll('webhook', rates.webhookDrop)) {
        this.stats.dropped += 1;
      } else {
        const endpoint = this.options.endpoint(random);
        if (endpoint) {
          const handled = scheduler.run(endpoint.component, () => endpoint.handle(delivery));
          const answer = await scheduler
            .within(
              broker,
              handled.then(() => 'ok' as const),
              ANSWER_MS,
            )
            .catch(() => 'error' as const);
          if (answer === 'ok') return;
          if (answer === TIMED_OUT) void handled.catch(() => undefined);
        }
      }
      // the provider's backoff (compressed: a provider's hours are seconds here), 1 … 5 s
      await scheduler.sleep(broker, Math.min(5_000, 1_000 * attempt), 'webhook retry');
    }
    this.stats.lost += 1;
  }
}
