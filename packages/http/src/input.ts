import { z } from 'zod';
import { HttpError } from './errors';
import { isSafeId } from './router';

/** A sale, seat, section, reservation, offer or user id: the safe alphabet, and no prototype names. */
export const Id = z
  .string()
  .refine(isSafeId, 'must be 1-64 characters of A-Z a-z 0-9 _ . - (and not a reserved name)');

/** Parses client input with `schema`, or answers 400 INVALID_INPUT listing every issue. */
export function parse<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = result.error.issues
    .slice(0, 20)
    .map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new HttpError(
    'INVALID_INPUT',
    `invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    { issues },
  );
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.-]{1,128}$/;

/** The `Idempotency-Key` header, required on reserves; 400 when absent or malformed. */
export function idempotencyKeyOf(value: string | undefined): string {
  if (value === undefined || !IDEMPOTENCY_KEY.test(value)) {
    throw new HttpError(
      'INVALID_INPUT',
      'Idempotency-Key: 1-128 characters of A-Z a-z 0-9 _ . - is required',
      {
        issues: [
          {
            path: 'Idempotency-Key',
            message: 'the Idempotency-Key header is required: 1-128 characters of A-Z a-z 0-9 _ . -',
          },
        ],
      },
    );
  }
  return value;
}
