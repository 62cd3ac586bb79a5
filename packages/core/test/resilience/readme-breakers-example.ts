// The circuit breakers example of packages/core/README.md, verbatim: breakers.test.ts runs it.
import {
  CircuitOpenError,
  createSeatRushRuntime,
  FakePaymentGateway,
  memoryPorts,
  SeatRushError,
} from '../../src';

export async function readmeBreakersExample() {
  const runtime = createSeatRushRuntime({
    ports: memoryPorts(),
    payments: new FakePaymentGateway(),
    admissionSecret: 'a-secret-of-at-least-32-bytes-0123456789',
    breakers: {
      payments: { failures: 5, halfOpenAfterMs: 2_000, timeoutMs: 10_000 },
      repository: { timeoutMs: 5_000 }, // the other settings keep their defaults
      publisher: false, // no breaker and no timeout around the publisher
      onStateChange: ({ breaker, from, to }) => console.info(`${breaker}: ${from} -> ${to}`),
    },
  });
  await runtime.start();
  const { breakers } = await runtime.health();
  // { payments: { state: 'closed', since, failures: 0, opened: 0, lastFailure: null }, repository: … }

  /** A host's error handler: a call a breaker refused is a 503 that says when to try again. */
  function answer(error: unknown): { status: number; retryAfterSeconds?: number } {
    if (error instanceof CircuitOpenError) {
      return { status: 503, retryAfterSeconds: Math.ceil(error.retryAfterMs / 1_000) };
    }
    return { status: error instanceof SeatRushError && error.code === 'INFRASTRUCTURE' ? 503 : 500 };
  }
  await runtime.close();
  return { breakers, refused: answer(new CircuitOpenError('payments', 1_500)) };
}
