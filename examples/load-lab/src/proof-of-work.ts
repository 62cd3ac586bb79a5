import { createHash } from 'node:crypto';

/** A challenge as the app hands it out: `prompt.prefix` and `prompt.difficulty` (leading zero bits). */
export interface PowPrompt {
  prefix: string;
  difficulty: number;
}

/** Leading zero bits of a digest. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/**
 * Finds the first counter `n` such that SHA-256(prefix + n) starts with `difficulty` zero bits —
 * the same puzzle as the SDK's `ProofOfWorkChallenges` (reimplemented here so the lab has no
 * dependency at all). Costs about 2^difficulty hashes: the lab runs the app with a low difficulty.
 */
export function solveProofOfWork(prompt: PowPrompt): string {
  for (let n = 0; ; n++) {
    if (
      leadingZeroBits(
        createHash('sha256')
          .update(prompt.prefix + n)
          .digest(),
      ) >= prompt.difficulty
    ) {
      return String(n);
    }
  }
}
