import { SaleId, ValidationError, type ValidationIssue } from '@seatrush/core';
import { ReservationRow, validate } from '@seatrush/core/ports';

/**
 * Checks a batch of rows: each against `ReservationRow`, plus the rules the database would also
 * refuse (seats matching the quantity, no seat twice in a row), so the caller gets every problem
 * at once and nothing is sent.
 * @throws ValidationError listing every issue of every row.
 */
export function checkRows(input: unknown): ReservationRow[] {
  const parsed = ReservationRow.array().safeParse(input);
  const issues: ValidationIssue[] = parsed.success
    ? []
    : parsed.error.issues.map((issue) => ({
        path: issue.path.map(String).join('.'),
        message: issue.message,
      }));
  // read defensively: these run even when other fields failed, so every problem is reported at once
  (Array.isArray(input) ? input : []).forEach((row: unknown, index) => {
    if (typeof row !== 'object' || row === null) return;
    const { seatIds, quantity } = row as { seatIds?: unknown; quantity?: unknown };
    if (!Array.isArray(seatIds)) return;
    if (seatIds.length > 0 && typeof quantity === 'number' && seatIds.length !== quantity) {
      issues.push({
        path: `${index}.seatIds`,
        message: `a seated reservation names one seat per unit (${seatIds.length} seats, quantity ${quantity})`,
      });
    }
    if (new Set(seatIds).size !== seatIds.length) {
      issues.push({ path: `${index}.seatIds`, message: 'a seat appears twice' });
    }
  });
  if (!parsed.success || issues.length > 0) throw new ValidationError('reservation rows', issues);
  return parsed.data;
}

/**
 * Checks a sale id argument.
 * @throws ValidationError when it is not a valid sale id.
 */
export function checkSaleId(saleId: unknown): string {
  return validate('sale id', SaleId, saleId);
}
