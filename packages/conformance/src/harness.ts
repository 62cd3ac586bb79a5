import { ValidationError } from '@seatrush/core';
import { describe, expect, it } from 'vitest';
import { startOfTest } from './fixtures';

/** What every factory result may carry: called after each test to close connections, drop keys… */
export interface Disposable {
  dispose?: () => Promise<void>;
}

/** Builds fresh, isolated state for one test. Called once per test. */
export type Factory<S> = () => Promise<S & Disposable>;

/** What a check proves about a port, so a suite reads as a specification. */
export type CheckCategory = 'behaviour' | 'expiry' | 'bad input' | 'concurrency' | 'model';

/** What the harness hands every check beside its subject. */
export interface CheckContext {
  /** The instant the check starts from (`startOfTest()`, taken once the subject is built). */
  now: number;
}

/**
 * One named conformance check: a function of the subject (the ports under test) and its context. The `describe*`
 * suites register each check as a vitest `it`; `runCheck` runs one outside of a suite, which is how
 * the suite's own tests show a broken adapter fails it.
 */
export interface Check<S> {
  category: CheckCategory;
  /** States the behaviour, e.g. "returns the original outcome when the same key is replayed". */
  name: string;
  run(subject: S, context: CheckContext): Promise<void>;
  /** Per-check timeout; generous so the suites also run against real servers. */
  timeoutMs?: number;
}

/** Runs `check` on a fresh subject from `factory`, disposing of it afterwards whatever happens. */
export async function runCheck<S>(factory: Factory<S>, check: Check<S>): Promise<void> {
  const subject = await factory();
  try {
    await check.run(subject, { now: startOfTest() });
  } finally {
    await subject.dispose?.();
  }
}

/** Registers `checks` as `describe(title)` → one `describe` per category → one `it` per check. */
export function registerChecks<S>(title: string, factory: Factory<S>, checks: readonly Check<S>[]): void {
  describe(title, () => {
    const categories = [...new Set(checks.map((check) => check.category))];
    for (const category of categories) {
      describe(category, () => {
        for (const check of checks.filter((c) => c.category === category)) {
          it(check.name, () => runCheck(factory, check), check.timeoutMs ?? 30_000);
        }
      });
    }
  });
}

/** Asserts that `action` rejects with a ValidationError listing at least one issue. */
export async function expectValidationError(action: () => Promise<unknown>): Promise<ValidationError> {
  let caught: unknown;
  try {
    await action();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected a ValidationError').toBeInstanceOf(ValidationError);
  const error = caught as ValidationError;
  expect(error.code).toBe('INVALID_INPUT');
  expect(error.issues.length).toBeGreaterThan(0);
  return error;
}

/**
 * Polls `probe` until it stops throwing (an `expect` that finally holds) or `timeoutMs` passes;
 * for consumers, which handle events asynchronously. Rethrows the last failure on timeout.
 */
export async function eventually<T>(
  probe: () => Promise<T> | T,
  timeoutMs = 15_000,
  everyMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await probe();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await sleep(everyMs);
    }
  }
}

/** Waits `ms` of real time. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
