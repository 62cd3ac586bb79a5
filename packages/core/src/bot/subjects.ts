import { createHash } from 'node:crypto';
import { SAFE_ID_PATTERN } from '../common/ids';

/** What a blocklist entry is about. */
export type SubjectKind = 'user' | 'ip' | 'device';

/**
 * The blocklist subject of a user, IP or device. Subjects become store keys (`blocked:{…}` in
 * Redis), so they stay in the safe alphabet: a value already in it is kept readable
 * (`ip_10.0.0.1`); anything else (an IPv6 address, a raw device fingerprint) is hashed
 * (`ip-<sha256 prefix>`). The two separators keep the forms from ever colliding.
 */
export function subjectOf(kind: SubjectKind, value: string): string {
  if (SAFE_ID_PATTERN.test(value)) return `${kind}_${value}`;
  return `${kind}-${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 40)}`;
}

/**
 * A store key for a value the host computed (a header fingerprint): kept when already short and
 * safe, else its SHA-256 prefix, so any value fits `ActivityKey`.
 */
export function activityKeyOf(value: string): string {
  if (/^[A-Za-z0-9_.-]{1,128}$/.test(value)) return value;
  return `h-${createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 40)}`;
}

/** Headers that tell browsers and scripts apart, in the order they are fingerprinted. */
const FINGERPRINT_HEADERS = [
  'user-agent',
  'accept',
  'accept-language',
  'accept-encoding',
  'sec-ch-ua',
  'sec-ch-ua-platform',
  'sec-fetch-mode',
  'sec-fetch-site',
  'connection',
];

/** Headers whose presence varies from request to request of one client: not part of the pattern. */
const VOLATILE_HEADERS = new Set([
  'cookie',
  'authorization',
  'content-length',
  'content-type',
  'if-none-match',
  'if-modified-since',
  'idempotency-key',
  'x-request-id',
  'traceparent',
  'tracestate',
  'x-forwarded-for',
]);

/**
 * A fingerprint of a request's headers for the "identical header pattern" rule: the names in the
 * order the client sent them plus the values of the headers that differ between clients.
 * Per-request values (cookies, authorisation, content length) are left out. Pass the raw header
 * list when the framework keeps it (Node's `req.rawHeaders`) so the order counts; a plain object
 * also works.
 */
export function headersFingerprintOf(
  headers: Record<string, string | string[] | undefined> | readonly string[],
): string {
  const pairs: [string, string][] = [];
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) pairs.push([headers[i]!.toLowerCase(), headers[i + 1]!]);
  } else {
    for (const [name, value] of Object.entries(headers as Record<string, string | string[] | undefined>))
      if (value !== undefined)
        pairs.push([name.toLowerCase(), Array.isArray(value) ? value.join(',') : value]);
  }
  const names = pairs
    .map(([name]) => name)
    .filter((name) => !VOLATILE_HEADERS.has(name))
    .join(',');
  const values = FINGERPRINT_HEADERS.map((h) => `${h}=${pairs.find(([name]) => name === h)?.[1] ?? ''}`);
  return createHash('sha256')
    .update([names, ...values].join('\n'), 'utf8')
    .digest('hex')
    .slice(0, 32);
}
