import { HttpError } from './errors';

/**
 * One cookie's value from a `Cookie` header; undefined when absent. A value that is not valid
 * percent-encoding is the client's mistake, answered 400 `BAD_COOKIE`, never a 500.
 */
export function readCookie(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  let start = 0;
  while (start < cookieHeader.length) {
    let end = cookieHeader.indexOf(';', start);
    if (end === -1) end = cookieHeader.length;
    const eq = cookieHeader.indexOf('=', start);
    if (eq > start && eq < end && cookieHeader.slice(start, eq).trim() === name) {
      const value = cookieHeader.slice(eq + 1, end).trim();
      if (!value.includes('%')) return value;
      try {
        return decodeURIComponent(value);
      } catch {
        throw new HttpError('BAD_COOKIE', `the ${name} cookie is malformed; sign in again`);
      }
    }
    start = end + 1;
  }
  return undefined;
}
