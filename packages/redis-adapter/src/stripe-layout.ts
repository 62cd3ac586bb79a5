import { Cluster } from 'ioredis';
import type { RedisClient } from './scripts';

/** Redis Cluster's hash slots. */
const SLOTS = 16_384;

/** CRC16 (XMODEM), Redis Cluster's key hash. */
function crc16(text: string): number {
  let crc = 0;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++)
      crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

/** The cluster slot of every key tagged `{tag}`. */
export function slotOfTag(tag: string): number {
  return crc16(tag) % SLOTS;
}

/**
 * The stripe a user's reserves go to: their per-user count and idempotency keys live there, so the
 * tickets-per-user limit and replays stay exact in ONE script. FNV-1a, the same in every process.
 */
export function homeStripe(userId: string, stripes: number): number {
  if (stripes <= 1) return 0;
  let hash = 0x811c9dc5;
  for (let i = 0; i < userId.length; i++) {
    hash ^= userId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash % stripes;
}

/** The master serving each slot, when the client is a connected Redis Cluster. */
function clusterMasters(redis: RedisClient): ((slot: number) => string | undefined) | undefined {
  if (!(redis instanceof Cluster)) return undefined;
  const slots = (redis as unknown as { slots?: string[][] }).slots;
  if (!slots || slots.length === 0) return undefined;
  return (slot) => slots[slot]?.[0];
}

/**
 * The hash tags of a sale's stripes. Stripe 0 is the sale's own tag (`saleId`: its keys are the
 * keys an unstriped sale has, where the waiting room's admitted set also lives); stripe i is
 * `saleId~i.n`, with the first n that puts it in a slot of its own — on a Redis Cluster, on the
 * next master round the ring from stripe 0's, so K stripes on M masters spread over min(K, M)
 * masters. The tags are computed once, when the sale is loaded, and stored with it (a later
 * resharding moves slots, never renames keys), so every instance uses the same ones.
 */
export function stripeTags(redis: RedisClient, saleId: string, stripes: number): string[] {
  const tags = [saleId];
  const used = new Set([slotOfTag(saleId)]);
  const masterOf = clusterMasters(redis);
  const masters = masterOf
    ? [...new Set(Array.from({ length: SLOTS }, (_, slot) => masterOf(slot)).filter((m) => m !== undefined))]
    : [];
  const first = masterOf ? masters.indexOf(masterOf(slotOfTag(saleId)) ?? '') : -1;
  for (let stripe = 1; stripe < stripes; stripe++) {
    const wanted = first >= 0 && masters.length > 0 ? masters[(first + stripe) % masters.length] : undefined;
    let chosen: string | undefined;
    for (let n = 0; n < 100_000 && chosen === undefined; n++) {
      const tag = `${saleId}~${stripe}.${n}`;
      const slot = slotOfTag(tag);
      if (used.has(slot)) continue;
      if (wanted !== undefined && masterOf?.(slot) !== wanted) continue;
      chosen = tag;
    }
    const tag = chosen ?? `${saleId}~${stripe}`;
    used.add(slotOfTag(tag));
    tags.push(tag);
  }
  return tags;
}
