/**
 * Counts the writes to the servers whose state the invariants read, so the checker re-checks only
 * what a step can have changed: a check that passed on some state passes again on the same state.
 * Every call of a method that is not a known read counts, when it is made and again when its
 * answer settles, whoever makes it (an instance, a test's broken adapter, the rebuild).
 */
export interface ServerChanges {
  /** The store (Redis): holds, stock, seats, the outbox, the waiting list; a wipe counts too. */
  store: number;
  /** The source of truth (PostgreSQL): the reservation rows. */
  truth: number;
  /** The payment provider: charges, payments, refunds. */
  money: number;
}

/** Methods of the store's ports that only read. */
export const STORE_READS: ReadonlySet<PropertyKey> = new Set([
  'getHold',
  'counts',
  'seatStates',
  'isWarm',
  'unrelayed',
  'wasRebuilt',
  'entry',
  'entries',
  'liveCount',
]);
/** Methods of the source of truth that only read. */
export const TRUTH_READS: ReadonlySet<PropertyKey> = new Set([
  'get',
  'getSale',
  'listOpenSales',
  'listInFlight',
  'totals',
  'loadSnapshot',
  'lastReconciliation',
  'rowsOf',
  'reconciliations',
]);
/** Methods of the payment provider (either checkout's) that only read. */
export const MONEY_READS: ReadonlySet<PropertyKey> = new Set([
  'charges',
  'refunds',
  'payments',
  'getPayment',
  'verifyWebhook',
  'signatureHeader',
]);

/**
 * `server` with every call of a method outside `reads` counted in `changes[kind]`. Methods are
 * bound to the server once (what a port decorator calls on every request). `server` may answer
 * another object from one call to the next (a wiped store swapped for an empty one): the methods
 * are those of the object it answers now.
 */
export function countWrites<T extends object>(
  server: () => T,
  kind: keyof ServerChanges,
  changes: ServerChanges,
  reads: ReadonlySet<PropertyKey>,
): T {
  let boundFor: T | null = null;
  let bound = new Map<PropertyKey, unknown>();
  const count = () => {
    changes[kind] += 1;
  };
  return new Proxy({} as T, {
    get(_, property) {
      const self = server();
      if (self !== boundFor) {
        boundFor = self;
        bound = new Map();
      }
      const known = bound.get(property);
      if (known !== undefined) return known;
      const value = Reflect.get(self, property, self) as unknown;
      if (typeof value !== 'function') return value;
      const method = value as (...args: unknown[]) => unknown;
      const wrapped = reads.has(property)
        ? method.bind(self)
        : (...args: unknown[]) => {
            count();
            const answer = method.apply(self, args);
            // a write that completes in a later step counts in that step too
            if (answer instanceof Promise) answer.then(count, count);
            return answer;
          };
      bound.set(property, wrapped);
      return wrapped;
    },
    has(_, property) {
      return Reflect.has(server(), property);
    },
    getPrototypeOf() {
      return Reflect.getPrototypeOf(server());
    },
  });
}
