import { HttpError } from './errors';

/** Ids that would reach a plain object's prototype if a store used them as keys: refused outright. */
const FORBIDDEN_IDS = new Set(['__proto__', 'constructor', 'prototype']);
const SAFE_ID = /^[A-Za-z0-9_.-]{1,64}$/;

/** Whether `value` may be a sale, seat, reservation, offer or user id. */
export function isSafeId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID.test(value) && !FORBIDDEN_IDS.has(value);
}

/** A route: its method, its path pattern (`/sales/:saleId/queue`) and what it carries. */
export interface Route<R> {
  method: string;
  path: string;
  route: R;
}

/** The route of `method` and `path` that carries `route`. */
export function route<R>(method: string, path: string, route: R): Route<R> {
  return { method, path, route };
}

/** A matched route with its path parameters (every one a safe id). */
export interface Match<R> {
  route: R;
  params: Record<string, string>;
}

interface Compiled<R> {
  method: string;
  segments: Array<{ literal: string } | { param: string }>;
  route: R;
}

/**
 * A small router over path segments: every `:param` must be a safe id (else 400 before any
 * handler runs), so no handler ever sees `__proto__`, a `{`, or a path traversal.
 */
export class Router<R> {
  readonly #bySize = new Map<number, Array<Compiled<R>>>();

  constructor(routes: ReadonlyArray<Route<R>>) {
    for (const { method, path, route } of routes) {
      const segments = path
        .split('/')
        .slice(1)
        .map((s) => (s.startsWith(':') ? { param: s.slice(1) } : { literal: s }));
      const list = this.#bySize.get(segments.length) ?? [];
      list.push({ method, segments, route });
      this.#bySize.set(segments.length, list);
    }
  }

  /**
   * The route of `method` and `path`; null when no path matches (not ours), 405 when the path
   * matches under another method, 400 when a parameter is not a safe id.
   */
  match(method: string, path: string): Match<R> | null {
    const parts = path.split('/');
    parts.shift();
    if (parts.length > 1 && parts[parts.length - 1] === '') parts.pop(); // a trailing slash
    const candidates = this.#bySize.get(parts.length);
    if (!candidates) return null;
    let pathMatched = false;
    for (const candidate of candidates) {
      const params = matchSegments(candidate.segments, parts);
      if (params === null) continue;
      if (candidate.method !== method && !(method === 'HEAD' && candidate.method === 'GET')) {
        pathMatched = true;
        continue;
      }
      for (const key in params) {
        if (!isSafeId(params[key])) {
          throw new HttpError('INVALID_INPUT', `${key}: must be 1-64 characters of A-Z a-z 0-9 _ . -`, {
            issues: [{ path: key, message: 'not a valid id' }],
          });
        }
      }
      return { route: candidate.route, params };
    }
    if (pathMatched) throw new HttpError('METHOD_NOT_ALLOWED', `${method} is not allowed here`);
    return null;
  }
}

function matchSegments(
  segments: Compiled<unknown>['segments'],
  parts: string[],
): Record<string, string> | null {
  const params: Record<string, string> = Object.create(null);
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] as Compiled<unknown>['segments'][number];
    const part = parts[i] as string;
    if ('literal' in segment) {
      if (segment.literal !== part) return null;
    } else {
      if (part === '') return null;
      params[segment.param] = part.includes('%') ? decode(part) : part;
    }
  }
  return params;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    throw new HttpError('INVALID_INPUT', 'the path is not valid percent-encoding', { issues: [] });
  }
}
