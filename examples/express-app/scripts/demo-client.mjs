// What the scripts (load, screenshots) share as clients of the demo's API: JSON calls with a
// browser's user agent, and the proof-of-work a join asks for.
import { createHash } from 'node:crypto';

/**
 * A caller of the API at `base`: `call(method, path, { body, cookie, headers })` answers
 * `{ status, body, cookie }` (the parsed JSON body, and the Set-Cookie the answer carried).
 * `userAgent()` names the client on each call (the bot rules read it).
 */
export function apiCaller(base, userAgent) {
  return async function call(method, path, { body, cookie, headers = {} } = {}) {
    const res = await fetch(base + path, {
      method,
      headers: {
        'content-type': 'application/json',
        'user-agent': userAgent(),
        ...(cookie ? { cookie } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text ? JSON.parse(text) : null,
      cookie: res.headers.get('set-cookie'),
    };
  };
}

/** Solves a join's proof-of-work prompt: the first n whose SHA-256 of prefix + n has `difficulty` leading zero bits. */
export function solve({ prefix, difficulty }) {
  for (let n = 0; ; n++) {
    const digest = createHash('sha256')
      .update(prefix + n)
      .digest();
    let bits = 0;
    for (const byte of digest) {
      if (byte === 0) {
        bits += 8;
        continue;
      }
      bits += Math.clz32(byte) - 24;
      break;
    }
    if (bits >= difficulty) return String(n);
  }
}
