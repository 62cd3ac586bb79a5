import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createSeatRushRuntime,
  memoryPorts,
  type PaymentGateway,
  type RuntimeSale,
  type SaleDefinitionInput,
  type SeatRushRuntime,
  type SeatRushRuntimeOptions,
} from '@seatrush/core';
import { seatedTestSale, seatRow, testSale } from '@seatrush/core/testing';
import { createSeatRushHttp, nodeHandler, type SeatRushHttp, type SeatRushHttpOptions } from '../src';

export const ADMISSION_SECRET = 'admission-secret-0123456789-abcdefghijkl';
export const SESSION_SECRET = 'session-secret-0123456789-abcdefghijklmn';
export const OPERATOR_TOKEN = 'operator-token-0123456789';

/** A gateway that approves every charge (the tests are about HTTP, not payments). */
export const approvingGateway: PaymentGateway = {
  charge: async ({ reservationId }) => ({ ok: true, paymentId: `pay-${reservationId}` }),
  refund: async () => undefined,
};

/** A general-admission sale of `capacity` units, open now. */
export function generalSale(
  overrides: Partial<SaleDefinitionInput> & { capacity?: number } = {},
): SaleDefinitionInput {
  return testSale({
    id: 'ga',
    admission: {
      usersPerInterval: 100,
      intervalMs: 1_000,
      maxActive: 1_000,
      sessionMs: 600_000,
      heartbeatTimeoutMs: 30_000,
    },
    ...overrides,
  });
}

/** A seated sale: one row of 8 seats. */
export function seatedSale(overrides: Partial<SaleDefinitionInput> = {}): SaleDefinitionInput {
  return seatedTestSale({
    id: 'seated',
    rows: [seatRow('1', 8, { seatPrefix: 'A', label: (n) => `A-${n}` })],
    admission: { usersPerInterval: 100, intervalMs: 1_000, maxActive: 1_000 },
    ...overrides,
  });
}

/** A test identity: the `x-test-user` header names the buyer (never use this outside tests). */
export const headerIdentity: SeatRushHttpOptions['identify'] = (request) => {
  const id = request.headers['x-test-user'];
  return typeof id === 'string' && id !== '' ? { id } : null;
};

/** A running API on a private port over an in-memory runtime, with helpers to call it. */
export interface TestApi {
  runtime: SeatRushRuntime;
  api: SeatRushHttp;
  server: Server;
  base: string;
  sale(id?: string): RuntimeSale;
  call(
    method: string,
    path: string,
    init?: { user?: string; headers?: Record<string, string>; body?: unknown },
  ): Promise<Response>;
  /** Joins `user` to the queue and lets the room admit them: their admission token. */
  admit(user: string, saleId?: string): Promise<string>;
  close(): Promise<void>;
}

/**
 * Starts a `TestApi`. `runtime` replaces any of the runtime's options (its ports, its payments, a
 * guard); `http` any of the API's.
 */
export async function startApi(
  options: {
    sales?: SaleDefinitionInput[];
    runtime?: Partial<SeatRushRuntimeOptions>;
    http?: Partial<SeatRushHttpOptions>;
    worker?: boolean;
  } = {},
): Promise<TestApi> {
  const runtime = createSeatRushRuntime({
    ports: memoryPorts(),
    payments: approvingGateway,
    admissionSecret: ADMISSION_SECRET,
    // the tests tick the rooms themselves; without the worker, holds stay HELD
    loops: { admission: false, worker: options.worker ?? true },
    ...options.runtime,
  });
  await runtime.start();
  for (const sale of options.sales ?? [generalSale()]) await runtime.define(sale);
  const api = createSeatRushHttp({
    runtime,
    identify: headerIdentity,
    authorizeOperator: (request) => request.headers.authorization === `Bearer ${OPERATOR_TOKEN}`,
    ...options.http,
  });
  const server = createServer(nodeHandler(api, { basePath: '/api' }));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`;
  const firstSale = runtime.sales()[0]?.sale.id ?? 'ga';
  const call: TestApi['call'] = (method, path, init = {}) =>
    fetch(`${base}${path}`, {
      method,
      headers: {
        ...(init.user ? { 'x-test-user': init.user } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body === undefined
        ? {}
        : { body: typeof init.body === 'string' ? init.body : JSON.stringify(init.body) }),
    });
  const sale = (id = firstSale) => {
    const found = runtime.sale(id);
    if (!found) throw new Error(`no sale ${id}`);
    return found;
  };
  return {
    runtime,
    api,
    server,
    base,
    sale,
    call,
    async admit(user, saleId = firstSale) {
      const joined = await call('POST', `/sales/${saleId}/queue`, { user, body: {} });
      if (joined.status >= 300) throw new Error(`join failed: ${joined.status} ${await joined.text()}`);
      await sale(saleId).queue.tick();
      const status = (await (await call('GET', `/sales/${saleId}/queue`, { user })).json()) as {
        queue: { admissionToken?: string };
      };
      if (!status.queue.admissionToken) throw new Error(`${user} was not admitted`);
      return status.queue.admissionToken;
    },
    async close() {
      api.close();
      server.closeAllConnections();
      server.close();
      await runtime.close();
    },
  };
}
