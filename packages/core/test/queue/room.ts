import type { MemoryWaitingRoomStore } from '../../src/subpaths/memory';
import { AdmissionTokens, WaitingRoom } from '../../src/subpaths/services';
import type { ManualClock } from '../../src/subpaths/testing';
import { GENERAL_ADMISSION, generalSale, SECRET } from '../services/fixtures';

/**
 * The general sale's waiting room over `store` (at most `maxActive` admitted, 100 by default); a
 * second room over a fresh store is the same room after its state was lost.
 */
export function roomOver(
  store: MemoryWaitingRoomStore,
  clock: ManualClock,
  options: { maxActive?: number; queuePassMs?: number } = {},
): WaitingRoom {
  const { maxActive = GENERAL_ADMISSION.maxActive, ...roomOptions } = options;
  return new WaitingRoom({
    sale: generalSale({ admission: { ...GENERAL_ADMISSION, maxActive } }),
    store,
    tokens: new AdmissionTokens({ secret: SECRET }),
    clock,
    ...roomOptions,
  });
}
