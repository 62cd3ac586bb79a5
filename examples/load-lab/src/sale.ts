import type { LabHttpClient } from './http-client';

/** The lab's sale: a seat map of `seats` seats, admission as the profile needs it. */
export interface LabSaleSettings {
  id: string;
  seats: number;
  /** Users admitted per tick, tick length and the most admitted at once. */
  admitPerTick: number;
  tickMs: number;
  maxActive: number;
  holdMs: number;
}

/** Seat ids in map order: row A first. Twenty seats a row, rows A…Z, then AA…, in three tiers. */
export function labSeatIds(seats: number): string[] {
  return Array.from({ length: seats }, (_, i) => `s-${rowName(Math.floor(i / 20))}${(i % 20) + 1}`);
}

function rowName(n: number): string {
  let name = '';
  for (let k = n; ; k = Math.floor(k / 26) - 1) {
    name = String.fromCharCode(65 + (k % 26)) + name;
    if (k < 26) break;
  }
  return name;
}

/** The SaleDefinition the lab posts to the operator API. */
export function labSaleDefinition(s: LabSaleSettings, now: number): Record<string, unknown> {
  const ids = labSeatIds(s.seats);
  const rows = new Map<string, Array<{ id: string; label: string; tier: string }>>();
  ids.forEach((id, i) => {
    const row = id.slice(2).replace(/\d+$/, '');
    // the front third is the expensive, popular part of the hall
    const tier = i < s.seats / 3 ? 'front' : i < (2 * s.seats) / 3 ? 'middle' : 'back';
    const list = rows.get(row) ?? [];
    list.push({ id, label: id.slice(2), tier });
    rows.set(row, list);
  });
  return {
    id: s.id,
    name: `Load lab ${s.id}`,
    inventory: {
      kind: 'assigned',
      sections: [{ id: 'hall', name: 'Hall', rows: [...rows].map(([id, seats]) => ({ id, seats })) }],
    },
    tiers: [
      { id: 'front', name: 'Front', priceCents: 12_000 },
      { id: 'middle', name: 'Middle', priceCents: 8_000 },
      { id: 'back', name: 'Back', priceCents: 5_000 },
    ],
    opensAt: now,
    holdMs: s.holdMs,
    admission: {
      usersPerInterval: s.admitPerTick,
      intervalMs: s.tickMs,
      maxActive: s.maxActive,
      sessionMs: 600_000,
      // watchers and long queues must not lose their place between heartbeats
      heartbeatTimeoutMs: 600_000,
    },
    limits: { ticketsPerUser: 1 },
    rateLimits: {
      perUser: { kind: 'token-bucket', capacity: 200, refillPerSecond: 100 },
      perIp: { kind: 'token-bucket', capacity: 1_000_000, refillPerSecond: 1_000_000 },
    },
  };
}

/** The operator API, as the lab uses it. */
export class OperatorApi {
  constructor(
    private readonly client: LabHttpClient,
    private readonly token: string,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const answer = await this.client.request(method, `/api/operator${path}`, {
      ...(body === undefined ? {} : { body }),
      headers: { authorization: `Bearer ${this.token}` },
    });
    if (answer.status >= 300) {
      throw new Error(`operator ${method} ${path} answered ${answer.status}: ${JSON.stringify(answer.body)}`);
    }
    return answer.body;
  }

  /** Creates the sale, warms it up and makes sure it is OPEN. */
  async prepare(settings: LabSaleSettings): Promise<void> {
    await this.call('POST', '/sales', labSaleDefinition(settings, Date.now()));
    const warmed = (await this.call('POST', `/sales/${settings.id}/warm-up`)) as {
      sale?: { state?: string };
    };
    if (warmed.sale?.state !== 'OPEN') await this.call('POST', `/sales/${settings.id}/open`);
  }

  /** The dashboard's figures now. */
  async stats(saleId: string): Promise<SaleFiguresView> {
    const body = (await this.call('GET', `/sales/${saleId}/stats`)) as {
      stats: { figures: SaleFiguresView };
    };
    return body.stats.figures;
  }

  /** Store vs PostgreSQL (or the in-memory repository): the source of truth's counts. */
  async reconcile(saleId: string): Promise<Reconciliation> {
    const body = (await this.call('POST', `/sales/${saleId}/reconcile`)) as {
      reconciliation: Reconciliation;
    };
    return body.reconciliation;
  }
}

/** The subset of the app's sale figures the lab reads. */
export interface SaleFiguresView {
  waiting: number;
  active: number;
  initialStock: number;
  available: number;
  held: number;
  confirmed: number;
  failed: number;
  consumerLag: number;
  sseConnections: number;
}

/** The app's reconciliation record (the SDK's `ReconciliationRecord`). */
export interface Reconciliation {
  storeAvailable: number;
  storeHeld: number;
  storeConfirmed: number;
  truthConfirmed: number;
  truthPending: number;
  consistent: boolean;
  repaired: boolean;
}
