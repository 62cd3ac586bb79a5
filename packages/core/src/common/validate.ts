import type { z } from 'zod';
import { ValidationError } from './errors';

/**
 * Parses `input` with `schema` or throws a `ValidationError` listing every issue. Every public
 * entry point calls this first, so bad input changes nothing.
 */
export function validate<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ValidationError(
    what,
    result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message })),
  );
}
