import { z } from 'zod';
import { ConfigurationError } from '../common/errors';
import { RateLimitPolicy } from '../sale/definition';

/** "More than `maxRequests` within `windowMs`" — one subject repeating abnormally fast. */
const BurstRule = (maxRequests: number, windowMs: number) =>
  z
    .strictObject({
      maxRequests: z.number().int().positive().max(10_000).default(maxRequests),
      windowMs: z.number().int().positive().default(windowMs),
    })
    .prefault({});

/** What to do with a request showing a suspicious sign. */
export const SuspicionAction = z.enum(['allow', 'challenge', 'block']);
export type SuspicionAction = z.infer<typeof SuspicionAction>;

/**
 * The bot guard's thresholds (docs/design.md §Traffic control and bot defence). Every field has a
 * default that suits a large public sale; hosts tighten or loosen them, validated once at
 * construction.
 */
export const BotGuardOptions = z.strictObject({
  /** Abnormally fast repeats: such a subject is blocked. */
  burst: z
    .strictObject({
      /** Per user: a person clicks a few times a second at most. */
      perUser: BurstRule(10, 1_000),
      /** Per IP: higher, as an office or a mobile carrier puts many people behind one address. */
      perIp: BurstRule(100, 1_000),
      /** How long a subject caught repeating too fast stays blocked. */
      blockMs: z.number().int().positive().default(300_000),
    })
    .prefault({}),
  /** Device fingerprinting: one device behind many accounts. */
  device: z
    .strictObject({
      /** Accounts one device may use within `windowMs`; one more blocks the device. */
      maxAccounts: z.number().int().positive().max(1_000).default(3),
      windowMs: z.number().int().positive().default(600_000),
      /** How long a block lasts: an hour, as `SET blocked:{ip} 1 EX 3600` (docs/design.md). */
      blockMs: z.number().int().positive().default(3_600_000),
    })
    .prefault({}),
  /**
   * Identical header fingerprints across many users within `windowMs`:
   * one script with many accounts. Real browsers of one build can share a fingerprint too, so the
   * default answer is a challenge, which a person passes and a farm pays for.
   */
  headers: z
    .strictObject({
      maxUsers: z.number().int().positive().max(100_000).default(50),
      windowMs: z.number().int().positive().default(60_000),
      action: SuspicionAction.default('challenge'),
    })
    .prefault({}),
  /** Missing or odd user agents. */
  userAgent: z
    .strictObject({
      onMissing: SuspicionAction.default('challenge'),
      onSuspicious: SuspicionAction.default('challenge'),
      /** Case-insensitive substrings of user agents that are tools, not browsers. */
      suspicious: z
        .array(z.string().min(1).max(64))
        .max(200)
        .default([
          'curl',
          'wget',
          'python',
          'httpclient',
          'okhttp',
          'go-http-client',
          'java/',
          'libwww',
          'scrapy',
          'aiohttp',
          'axios',
          'node-fetch',
          'postman',
          'headless',
          'phantomjs',
          'selenium',
          'webdriver',
          'puppeteer',
          'playwright',
          'bot',
          'spider',
          'crawler',
        ]),
      /** Shorter than this is odd for a browser (a real one sends well over 50 characters). */
      minLength: z.number().int().nonnegative().max(512).default(20),
    })
    .prefault({}),
  /**
   * Rate limits through the RateLimiter port, per user, per IP and global, `null` to turn one
   * off; a refused request is answered `block` until it may retry.
   */
  rateLimits: z
    .strictObject({
      perUser: RateLimitPolicy.nullable().default({ kind: 'token-bucket', capacity: 20, refillPerSecond: 5 }),
      perIp: RateLimitPolicy.nullable().default({ kind: 'sliding-window', limit: 600, windowMs: 10_000 }),
      /** Everything together: off by default, as only the host knows its capacity. */
      global: RateLimitPolicy.nullable().default(null),
    })
    .prefault({}),
  challenge: z
    .strictObject({
      /**
       * `suspicious`: only requests showing a sign are challenged;
       * `always`: everyone is, once, before joining.
       */
      mode: z.enum(['suspicious', 'always']).default('suspicious'),
      /** How long a solved challenge spares its user further challenges (not blocks). */
      passMs: z.number().int().positive().default(600_000),
      /** Wrong answers one user may give within `failureWindowMs`; one more blocks the user. */
      maxFailures: z.number().int().positive().max(1_000).default(5),
      failureWindowMs: z.number().int().positive().default(600_000),
      /** How long a user who kept answering wrong stays blocked. */
      blockMs: z.number().int().positive().default(900_000),
    })
    .prefault({}),
  /**
   * Most subjects each pattern rule remembers. Past it the least recently seen are forgotten, so
   * memory stays bounded under a flood of fresh ids.
   */
  maxTrackedSubjects: z.number().int().positive().default(100_000),
});
/** The bot guard's options as a host writes them (everything optional). */
export type BotGuardOptionsInput = z.input<typeof BotGuardOptions>;
/** The bot guard's options with every default filled in. */
export type BotGuardSettings = z.output<typeof BotGuardOptions>;

/**
 * Validates bot guard options and fills in the defaults (once, at construction).
 * @throws ConfigurationError listing every problem.
 */
export function parseBotGuardOptions(input: unknown): BotGuardSettings {
  const parsed = BotGuardOptions.safeParse(input ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
  throw new ConfigurationError(`invalid bot guard options: ${problems.join('; ')}`);
}
