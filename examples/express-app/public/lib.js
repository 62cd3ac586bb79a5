// Shared helpers of the SeatRush demo pages: the API client, the device fingerprint, toasts and
// the double-click guard. Plain ES modules, no framework.

/** An API error with the server's stable code. */
export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

let fingerprint = null;

/**
 * A device fingerprint for the bot rules: a hash of what the browser tells about itself. It is a
 * signal, not an identity — the session cookie is the identity.
 */
export async function deviceFingerprint() {
  if (fingerprint) return fingerprint;
  const parts = [
    navigator.userAgent,
    navigator.language,
    (navigator.languages || []).join(','),
    navigator.hardwareConcurrency,
    navigator.platform,
    screen.width,
    screen.height,
    screen.colorDepth,
    new Date().getTimezoneOffset(),
    Intl.DateTimeFormat().resolvedOptions().timeZone,
    canvasSignature(),
  ].join('|');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(parts));
  fingerprint = [...new Uint8Array(digest)]
    .slice(0, 16)
    .map((b) => b.toString(16).padStart(2, '0'))
    .join('');
  return fingerprint;
}

function canvasSignature() {
  try {
    const canvas = document.createElement('canvas');
    canvas.width = 120;
    canvas.height = 30;
    const ctx = canvas.getContext('2d');
    ctx.textBaseline = 'top';
    ctx.font = '14px Arial';
    ctx.fillStyle = '#f60';
    ctx.fillRect(0, 0, 60, 20);
    ctx.fillStyle = '#069';
    ctx.fillText('SeatRush ✓', 2, 2);
    return canvas.toDataURL().slice(-64);
  } catch {
    return 'no-canvas';
  }
}

/** Calls the API with JSON and the fingerprint header; throws `ApiError` on a non-2xx answer. */
export async function api(method, path, body, headers = {}) {
  const init = {
    method,
    credentials: 'same-origin',
    headers: { Accept: 'application/json', 'X-Device-Fingerprint': await deviceFingerprint(), ...headers },
  };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const error = data?.error ?? {};
    throw new ApiError(res.status, error.code ?? `HTTP_${res.status}`, error.message ?? res.statusText, data);
  }
  return data;
}

let toastTimer = null;
/** Shows a short message at the bottom of the page. */
export function toast(message, kind = 'error') {
  let el = document.getElementById('toast');
  if (!el) {
    el = document.createElement('div');
    el.id = 'toast';
    el.setAttribute('role', 'status');
    document.body.append(el);
  }
  el.className = `toast ${kind}`;
  el.textContent = message;
  el.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => el.remove(), 5000);
}

/**
 * Runs `action` with `button` disabled and spinning: a second click while a request is in flight
 * does nothing, so a nervous double-click never sends two reservations.
 */
export async function busy(button, action) {
  if (button.disabled) return undefined;
  button.disabled = true;
  button.classList.add('loading');
  try {
    return await action();
  } finally {
    button.disabled = false;
    button.classList.remove('loading');
  }
}

/** Shows exactly one of the page's views. */
export function show(id) {
  for (const el of document.querySelectorAll('[data-view]')) el.classList.toggle('hidden', el.id !== id);
}

/** Formats cents as a price. */
export function money(cents) {
  return new Intl.NumberFormat(undefined, { style: 'currency', currency: 'USD' }).format(cents / 100);
}

/** A fresh idempotency key for one user intent (kept while that intent is retried). */
export function newIdempotencyKey() {
  return crypto.randomUUID();
}
