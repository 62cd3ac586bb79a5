import { randomUUID } from 'node:crypto';
import { Admin } from '@platformatic/kafka';
import { ConfigurationError } from '@seatrush/core';
import type { KafkaConnection } from '../connection';
import { platformaticOptions } from './platformatic';

/** How often the group is looked at while this member's first join is pending, in ms. */
const POLL_MS = 100;
/** The longest client id the connection settings accept. */
const MAX_CLIENT_ID = 128;

/**
 * Static membership for kafkajs, which has no `group.instance.id` (KIP-345). Each member of a
 * worker slot joins under a client id that names the slot (`<clientId>.<slot>.<nonce>`). Once the
 * new member's join is pending at the coordinator, the members of the same slot that came
 * before it (a SIGKILLed process the broker still waits for) are removed with a LeaveGroup on
 * their member id, so the rebalance completes at once instead of after their session timeout.
 *
 * The order matters: a dead member removed before the new one joins leaves the group empty,
 * and the broker then delays the first join by `group.initial.rebalance.delay.ms` (3 s by
 * default). As with real static membership, two live processes must never share a slot: the
 * newer one evicts the older (which then rejoins as an ordinary member).
 */
export class EmulatedStaticMembership {
  /** The client id this member joins under. */
  readonly clientId: string;
  /** Client ids of this slot's members: the slot's tag, then a nonce of 8 hex digits. */
  private readonly ofSlot: RegExp;

  constructor(
    private readonly connection: KafkaConnection,
    private readonly groupId: string,
    slot: string,
  ) {
    const slotTag = `${connection.clientId ?? 'seatrush'}.${slot}.`;
    this.clientId = `${slotTag}${randomUUID().slice(0, 8)}`;
    if (this.clientId.length > MAX_CLIENT_ID) {
      throw new ConfigurationError(
        `clientId and groupInstanceId are too long together for kafkajs's static membership (${this.clientId.length} > ${MAX_CLIENT_ID} characters)`,
      );
    }
    this.ofSlot = new RegExp(`^${slotTag.replaceAll('.', '\\.')}[0-9a-f]{8}$`);
  }

  /**
   * Waits for this member to show up in the group, then removes the slot's earlier members.
   * Gives up once `done()` answers true (the member has partitions: nobody was in the way) or
   * after `patienceMs` (the broker has dropped a dead member by itself by then).
   * @returns the member ids removed.
   */
  async evictPredecessors(done: () => boolean, patienceMs: number): Promise<string[]> {
    const admin = new Admin({ ...platformaticOptions(this.connection), clientId: `${this.clientId}-admin` });
    const deadline = performance.now() + patienceMs;
    try {
      while (!done() && performance.now() < deadline) {
        const group = (await admin.describeGroups({ groups: [this.groupId] })).get(this.groupId);
        const members = [...(group?.members.values() ?? [])];
        if (members.some((m) => m.clientId === this.clientId)) {
          const predecessors = members
            .filter((m) => this.ofSlot.test(m.clientId) && m.clientId !== this.clientId)
            .map((m) => m.id);
          if (predecessors.length > 0) {
            await admin.removeMembersFromConsumerGroup({
              groupId: this.groupId,
              members: predecessors.map((memberId) => ({ memberId, reason: 'replaced by its slot' })),
            });
          }
          return predecessors;
        }
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      return [];
    } finally {
      await admin.close().catch(() => undefined);
    }
  }
}
