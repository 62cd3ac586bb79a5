import { SeatRushError } from '../common/errors';
import type { SaleState } from '../lifecycle/sale';
import type { SaleCommandOutcome, SeatRush } from '../seatrush';

/** A lifecycle command an operator sends to a sale. */
export type SaleCommand = 'warm-up' | 'open' | 'pause' | 'resume' | 'close';

/** Every {@link SaleCommand}, for validating an operator's input. */
export const SALE_COMMANDS: readonly SaleCommand[] = ['warm-up', 'open', 'pause', 'resume', 'close'];

/** The answer of {@link runSaleCommand}: a refusal always says why, in words an operator reads. */
export type SaleCommandAnswer =
  | { ok: true; state: SaleState }
  | { ok: false; code: string; message: string; state: SaleState };

/**
 * Runs an operator's lifecycle command on a sale, answering a typed outcome instead of throwing:
 * - `warm-up` starts a DRAFT sale: it loads the sale from the source of truth into the store,
 *   verifies it and starts its loops (READY, and OPEN at once when `opensAt` has come);
 * - `open` on a DRAFT sale warms it up first; on an OPEN sale it is a no-op (an operator's double
 *   click, a restart's replay);
 * - `pause`, `resume` and `close` are the sale's own transitions.
 * `start` runs the sale's other loops (the waiting list's offer rounds) once the sale has started.
 */
export async function runSaleCommand(
  sale: SeatRush,
  command: SaleCommand,
  start: () => Promise<void>,
): Promise<SaleCommandAnswer> {
  const warmUp = async (): Promise<SaleCommandAnswer> => {
    if (sale.state !== 'DRAFT') {
      const message = `the sale is ${sale.state}: already warmed up`;
      return { ok: false, code: 'INVALID_TRANSITION', message, state: sale.state };
    }
    try {
      await start();
      return { ok: true, state: sale.state };
    } catch (error) {
      const code = error instanceof SeatRushError ? error.code : 'WARM_UP_FAILED';
      const message = error instanceof Error ? error.message : String(error);
      return { ok: false, code, message, state: sale.state };
    }
  };
  const explained = (outcome: SaleCommandOutcome): SaleCommandAnswer =>
    outcome.ok
      ? outcome
      : { ...outcome, message: `${command} refused in state ${outcome.state} (${outcome.code})` };
  switch (command) {
    case 'warm-up':
      return warmUp();
    case 'open': {
      if (sale.state === 'OPEN') return { ok: true, state: 'OPEN' };
      if (sale.state === 'DRAFT') {
        const started = await warmUp();
        // a sale whose opening time has come opens as it starts
        if (!started.ok || (sale.state as SaleState) === 'OPEN') return started;
      }
      return explained(await sale.open());
    }
    case 'pause':
      return explained(await sale.pause());
    case 'resume':
      return explained(await sale.resume());
    case 'close':
      return explained(await sale.close());
  }
}
