import { randomInt } from 'node:crypto';

/** Draws a whole number in `[0, n)`; every value equally likely. */
export type RandomBelow = (n: number) => number;

/** {@link RandomBelow} from the operating system's CSPRNG: nobody can predict or steer the draw. */
export const cryptoRandomBelow: RandomBelow = (n) => randomInt(n);

/**
 * Shuffles `items` in place into a uniformly random order (Fisher–Yates: every one of the n!
 * orders is equally likely when `randomBelow` is uniform) and returns them. Used for the
 * pre-queue at opening, so arriving early before the opening buys no advantage.
 */
export function fairShuffle<T>(items: T[], randomBelow: RandomBelow = cryptoRandomBelow): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBelow(i + 1);
    const swap = items[i]!;
    items[i] = items[j]!;
    items[j] = swap;
  }
  return items;
}
