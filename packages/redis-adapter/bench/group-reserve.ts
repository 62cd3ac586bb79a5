import { type GroupReserveResult, type SaleDefinitionInput, systemClock } from '@seatrush/core';
import { MemoryAlertSink } from '@seatrush/core/memory';
import { GroupReservations } from '@seatrush/core/services';
import type { Redis } from 'ioredis';
import { RedisInventoryStore } from '../src/index';
import { cleanup, nullPublisher, onBenchServer, runBenchmark, saleTerms } from './support';

const venues = (process.env.BENCH_VENUES ?? '100x50,200x100').split(',').map((venue) => {
  const [rows, seats] = venue.split('x').map(Number);
  return { rows: rows!, seats: seats! };
});
const groupSizes = (process.env.BENCH_GROUP_SIZES ?? '4').split(',').map(Number);
const clientsCount = Number(process.env.BENCH_CLIENTS ?? 64);
const connectionsCount = 8;

function seatedSale(id: string, rows: number, seats: number): SaleDefinitionInput {
  return {
    id,
    name: id,
    inventory: {
      kind: 'assigned',
      sections: [
        {
          id: 'main',
          name: 'Main floor',
          rows: Array.from({ length: rows }, (_, r) => ({
            id: `${r + 1}`,
            seats: Array.from({ length: seats }, (_, s) => ({
              id: `r${r + 1}s${s + 1}`,
              label: `${r + 1}-${s + 1}`,
              tier: 'std',
            })),
          })),
        },
      ],
    },
    ...saleTerms,
    holdMs: 600_000,
    limits: { ticketsPerUser: 10 },
  };
}

interface Figures {
  requests: number;
  held: number;
  adjacent: number;
  other: Record<string, number>;
  seconds: number;
  p50: number;
  p99: number;
}

const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Books groups of `size` through `clientsCount` concurrent buyers until a call finds it sold out. */
async function drive(services: GroupReservations[], size: number): Promise<Figures> {
  const latencies: number[] = [];
  const other: Record<string, number> = {};
  let held = 0;
  let adjacent = 0;
  let next = 0;
  let soldOut = false;
  const started = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: clientsCount }, async (_, caller) => {
      const service = services[caller % services.length]!;
      while (!soldOut) {
        const i = next++;
        const t0 = process.hrtime.bigint();
        const result: GroupReserveResult = await service.reserveGroup({
          userId: `u${i}`,
          idempotencyKey: `k${i}`,
          size,
        });
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (result.ok) {
          held += 1;
          if (result.adjacent) adjacent += 1;
        } else {
          other[result.code] = (other[result.code] ?? 0) + 1;
          if (result.code === 'SOLD_OUT') soldOut = true;
        }
      }
    }),
  );
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    held,
    adjacent,
    other,
    seconds,
    p50: quantile(latencies, 0.5),
    p99: quantile(latencies, 0.99),
  };
}

/** Every EVAL/EVALSHA's run time in the SLOWLOG, in ms, sorted (entries: [id, at, µs, args, …]). */
async function scriptTimesMs(redis: Redis): Promise<number[]> {
  const entries = (await redis.slowlog('GET', -1)) as Array<[number, number, number, string[]]>;
  return entries
    .filter((entry) => /^eval/i.test(String(entry[3]?.[0] ?? '')))
    .map((entry) => Number(entry[2]) / 1_000)
    .sort((a, b) => a - b);
}

async function main(): Promise<void> {
  await onBenchServer(connectionsCount, async ({ url, own, keyPrefix, connections, admin }) => {
    await admin.config('SET', 'slowlog-log-slower-than', '0');
    await admin.config('SET', 'slowlog-max-len', '200000');
    const version = ((await admin.info('server')).match(/redis_version:(\S+)/) ?? [])[1];
    console.log(
      `SeatRush group reserve (reserve-group.lua) on Redis ${version} at ${url}${own ? ' (private server)' : ''}: ` +
        `${clientsCount} concurrent buyers over ${connectionsCount} connections, one seated sale, until sold out`,
    );
    for (const venue of venues) {
      for (const size of groupSizes) {
        const saleId = `group-${venue.rows}x${venue.seats}-${size}`;
        const sale = seatedSale(saleId, venue.rows, venue.seats);
        const seatIds = Array.from({ length: venue.rows * venue.seats }, (_, n) => {
          return `r${Math.floor(n / venue.seats) + 1}s${(n % venue.seats) + 1}`;
        });
        await new RedisInventoryStore(admin, { keyPrefix }).load({
          saleId,
          initialStock: seatIds.length,
          available: seatIds.length,
          seatIds,
          confirmedSeatIds: [],
          ticketsPerUser: 10,
          confirmedPerUser: {},
        });
        const services = connections.map(
          (redis) =>
            new GroupReservations({
              sale,
              inventory: new RedisInventoryStore(redis, { keyPrefix }),
              publisher: nullPublisher,
              clock: systemClock,
              alerts: new MemoryAlertSink(),
              requireAdmission: false,
            }),
        );
        await admin.slowlog('RESET');
        const f = await drive(services, size);
        const server = await scriptTimesMs(admin);
        const others = Object.entries(f.other)
          .map(([code, n]) => `${code} ${n}`)
          .join(', ');
        console.log(
          `${`${venue.rows}x${venue.seats}`.padStart(7)} seats, groups of ${size}: ` +
            `${(f.held / f.seconds).toFixed(0).padStart(6)} groups/s, client p50 ${f.p50.toFixed(2)} ms p99 ${f.p99.toFixed(2)} ms | ` +
            `script p50 ${quantile(server, 0.5).toFixed(3)} ms p99 ${quantile(server, 0.99).toFixed(3)} ms max ${(server[server.length - 1] ?? 0).toFixed(3)} ms | ` +
            `${f.held} held (${((100 * f.adjacent) / Math.max(1, f.held)).toFixed(0)}% adjacent), ${f.requests} calls${others ? `, ${others}` : ''}`,
        );
        await cleanup(admin, keyPrefix);
      }
    }
  });
}

runBenchmark(main);
