import type { z } from '@seatrush/core';
import { validate } from '@seatrush/core';

/**
 * Parses a request part with `schema` or throws the SDK's `ValidationError` (every issue listed,
 * answered as 400 `INVALID_INPUT`), so a route never sees unchecked input.
 */
export function parse<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  return validate(what, schema, input);
}
