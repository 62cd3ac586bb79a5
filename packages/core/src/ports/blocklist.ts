/** Subjects (IPs, users, device fingerprints) refused for a while: `SET blocked:{subject} … EX`. */
export interface Blocklist {
  block(input: { subject: string; reason: string; ttlMs: number; now: number }): Promise<void>;
  /** The block in force on `subject`, or null. */
  check(input: { subject: string; now: number }): Promise<{ reason: string; until: number } | null>;
  unblock(subject: string): Promise<void>;
}
