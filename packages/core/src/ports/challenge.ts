/** A challenge a client must answer before joining the queue (proof of work, or a CAPTCHA). */
export interface Challenge {
  id: string;
  /** What the client works on; for proof of work: a prefix and a difficulty. */
  prompt: Record<string, string | number>;
  expiresAt: number;
}

/** What {@link ChallengeProvider.verify} is asked: `subject`'s answer to the challenge `challengeId`. */
export interface ChallengeVerification {
  subject: string;
  challengeId: string;
  answer: string;
  now: number;
}

/**
 * A CAPTCHA service cannot be assumed, so core ships a proof-of-work implementation of this port;
 * a host may plug in its CAPTCHA provider instead.
 */
export interface ChallengeProvider {
  issue(input: { subject: string; now: number }): Promise<Challenge>;
  /** True once for a correct, unexpired answer by the same subject. */
  verify(input: ChallengeVerification): Promise<boolean>;
}
