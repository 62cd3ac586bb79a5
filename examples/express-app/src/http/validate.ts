import type { RuntimeSale } from '@seatrush/core';
import { validate, z } from '@seatrush/core/ports';
import type { Request } from 'express';
import type { Platform } from '../platform/platform';
import { HttpError } from './errors';

/**
 * Parses a request part with `schema` or throws the SDK's `ValidationError` (every issue listed,
 * answered as 400 `INVALID_INPUT`), so a route never sees unchecked input.
 */
export function parse<S extends z.ZodType>(what: string, schema: S, input: unknown): z.output<S> {
  return validate(what, schema, input);
}

/** A sale, seat, reservation, offer or dead-letter id in a path or body. */
export const IdParam = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must be 1-64 characters of A-Z a-z 0-9 _ . -');

/** The sale named by the `:saleId` path parameter: 400 for a malformed id, 404 UNKNOWN_SALE. */
export function saleOf(platform: Platform, req: Request): RuntimeSale {
  const id = parse('sale id', IdParam, req.params.saleId);
  const runtime = platform.runtime.sale(id);
  if (!runtime) throw new HttpError('UNKNOWN_SALE', `unknown sale: ${id}`);
  return runtime;
}
