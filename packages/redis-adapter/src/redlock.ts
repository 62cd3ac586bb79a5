import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type Clock,
  ConfigurationError,
  type DistributedLock,
  type Lease,
  systemClock,
} from '@seatrush/core';
import type { Redis } from 'ioredis';
import { KeySpace } from './keys';
import { assertUsableClient } from './options';
import { Scripts } from './scripts';
import { boundedText, EpochMs, optional, PositiveInt, validateFields } from './validation';

/** Options of {@link Redlock}. */
export interface RedlockOptions {
  /** Goes before every lock key (`<keyPrefix>sr:lock:{resource}`). */
  keyPrefix?: string;
  /** Tries after the first before giving up. Default 10. */
  retryCount?: number;
  /** Pause between tries. Default 50 ms. */
  retryDelayMs?: number;
  /** Random extra pause (0 … jitter) so competing clients do not retry in step. Default 50 ms. */
  retryJitterMs?: number;
  /** Clock drift allowed between nodes, as a fraction of the TTL (plus 2 ms). Default 0.01. */
  driftFactor?: number;
  /** A node that has not answered by then counts as a refusal. Default 100 ms. */
  nodeTimeoutMs?: number;
  /** The clock for `validUntil`. Default: the system clock. */
  clock?: Clock;
}

type NodeAnswer = number | null;

/**
 * Redlock (antirez's algorithm) over N independent Redis masters, written here rather than taken
 * from `redlock` (unreleased since 2022) so it can hand out fencing tokens:
 *
 * 1. a random owner value; `SET lock owner NX PX ttl` on every node at once, each with a timeout;
 * 2. granted when a majority (N/2 + 1) said yes and the time spent is less than the TTL minus the
 *    allowed drift; the lease is trusted until `start + ttl − elapsed − drift`;
 * 3. otherwise released everywhere (compare-and-delete in Lua: only the owner's value is
 *    deleted) and retried after a random pause;
 * 4. the fencing token: each node INCRs its counter for the resource on every grant; the token is
 *    the maximum over the quorum, written back to the quorum's nodes before the lease is
 *    returned. Any later quorum shares a node with this one, so its token is greater.
 *
 * A guarded write must still check the token (Kleppmann): see `RedisInventorySteps`.
 */
export class Redlock implements DistributedLock {
  private readonly nodes: Array<{ redis: Redis; scripts: Scripts }>;
  private readonly keys: KeySpace;
  private readonly quorum: number;
  private readonly retryCount: number;
  private readonly retryDelayMs: number;
  private readonly retryJitterMs: number;
  private readonly driftFactor: number;
  private readonly nodeTimeoutMs: number;
  private readonly clock: Clock;

  /** `nodes` are independent masters (not replicas of each other, not one cluster). */
  constructor(nodes: Redis[], options: RedlockOptions = {}) {
    if (nodes.length === 0) throw new ConfigurationError('Redlock needs at least one Redis node');
    const o = validateFields(
      'Redlock options',
      {
        retryCount: optional(EpochMs),
        retryDelayMs: optional(EpochMs),
        retryJitterMs: optional(EpochMs),
        nodeTimeoutMs: optional(PositiveInt),
        driftFactor: optional({
          safeParse: (v: unknown) =>
            typeof v === 'number' && v >= 0 && v < 0.5
              ? { success: true as const, data: v }
              : {
                  success: false as const,
                  error: { issues: [{ path: [], message: 'must be in [0, 0.5)' }] },
                },
        }),
      },
      options,
    );
    for (const node of nodes) assertUsableClient(node);
    this.nodes = nodes.map((redis) => ({ redis, scripts: new Scripts(redis) }));
    this.keys = new KeySpace(options.keyPrefix ?? '');
    this.quorum = Math.floor(nodes.length / 2) + 1;
    this.retryCount = o.retryCount ?? 10;
    this.retryDelayMs = o.retryDelayMs ?? 50;
    this.retryJitterMs = o.retryJitterMs ?? 50;
    this.driftFactor = o.driftFactor ?? 0.01;
    this.nodeTimeoutMs = o.nodeTimeoutMs ?? 100;
    this.clock = options.clock ?? systemClock;
  }

  /** Takes the lock on a majority, retrying with jitter; null when it could not. */
  async acquire(resource: string, ttlMs: number): Promise<Lease | null> {
    const i = validateFields(
      'lock request',
      { resource: boundedText('resource', 256), ttlMs: PositiveInt },
      { resource, ttlMs },
    );
    const keys = this.keys.lock(i.resource);
    for (let attempt = 0; attempt <= this.retryCount; attempt++) {
      const owner = randomBytes(16).toString('hex');
      const start = this.clock.now();
      const answers = await Promise.all(
        this.nodes.map((node) =>
          this.onNode(
            node.scripts.run('lock-acquire', [keys.lock, keys.fence], [owner, i.ttlMs]).then(Number),
          ),
        ),
      );
      const granted = answers
        .map((answer, index) => ({ answer, index }))
        .filter((a): a is { answer: number; index: number } => a.answer !== null && a.answer > 0);
      const drift = Math.round(i.ttlMs * this.driftFactor) + 2;
      const validUntil = start + i.ttlMs - drift;
      if (granted.length >= this.quorum && validUntil > this.clock.now()) {
        const fencingToken = Math.max(...granted.map((g) => g.answer));
        await Promise.all(
          granted.map((g) =>
            this.onNode(
              this.nodes[g.index]!.scripts.run('lock-raise-fence', [keys.fence], [fencingToken]).then(
                () => 1,
              ),
            ),
          ),
        );
        if (validUntil > this.clock.now()) return { resource: i.resource, owner, fencingToken, validUntil };
      }
      await this.releaseEverywhere(keys.lock, owner);
      if (attempt < this.retryCount) await sleep(this.retryDelayMs + Math.random() * this.retryJitterMs);
    }
    return null;
  }

  /** Releases the lock on every node where `lease.owner` still holds it. */
  async release(lease: Lease): Promise<void> {
    await this.releaseEverywhere(this.keys.lock(lease.resource).lock, lease.owner);
  }

  private async releaseEverywhere(lockKey: string, owner: string): Promise<void> {
    await Promise.all(
      this.nodes.map((node) =>
        this.onNode(node.scripts.run('lock-release', [lockKey], [owner]).then(Number)),
      ),
    );
  }

  /** A node's answer, or null when it failed or did not answer in time (counted as a refusal). */
  private async onNode(call: Promise<number>): Promise<NodeAnswer> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => {
      timer = setTimeout(() => resolve(null), this.nodeTimeoutMs);
    });
    try {
      return await Promise.race([call.catch(() => null), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}
