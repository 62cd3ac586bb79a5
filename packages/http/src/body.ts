import { HttpError } from './errors';
import type { SeatRushRequest } from './exchange';

/**
 * Reads a JSON body of at most `limit` bytes. Nothing is inflated: a `Content-Encoding` other than
 * `identity` is refused (415) before a byte is read, so a small compressed body can never expand
 * into a large one. A declared length over the limit is refused before reading; a body that grows
 * past it is cut off at the limit. A charset other than UTF-8 is refused (415), malformed JSON is
 * a 400; an empty body is `{}`.
 */
export async function readJson(request: SeatRushRequest, limit: number): Promise<unknown> {
  const raw = await readBody(request, limit);
  if (raw.length === 0) return {};
  const type = header(request, 'content-type') ?? '';
  const [mediaType = '', ...parameters] = type.toLowerCase().split(';');
  if (mediaType.trim() !== 'application/json') {
    throw new HttpError('UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
  }
  for (const parameter of parameters) {
    const [name, value] = parameter.split('=').map((s) => s.trim());
    if (name === 'charset' && value?.replace(/"/g, '') !== 'utf-8' && value !== 'utf8') {
      throw new HttpError('BAD_ENCODING', 'the body must be UTF-8');
    }
  }
  try {
    return JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError('INVALID_INPUT', 'the body is not valid JSON', { issues: [] });
  }
}

/** The raw body, refused (413) past `limit` bytes and (415) when it is compressed. */
export async function readBody(request: SeatRushRequest, limit: number): Promise<Buffer> {
  const encoding = header(request, 'content-encoding');
  if (encoding !== undefined && encoding.trim().toLowerCase() !== 'identity') {
    throw new HttpError('BAD_ENCODING', 'compressed request bodies are not accepted');
  }
  const declared = header(request, 'content-length');
  if (declared !== undefined && Number(declared) > limit) {
    throw new HttpError('PAYLOAD_TOO_LARGE', `the body may be at most ${limit} bytes`, { limit });
  }
  if (declared === '0' || (declared === undefined && header(request, 'transfer-encoding') === undefined)) {
    return Buffer.alloc(0);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += bytes.length;
    if (size > limit) {
      throw new HttpError('PAYLOAD_TOO_LARGE', `the body may be at most ${limit} bytes`, { limit });
    }
    chunks.push(bytes);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

/** One header's value (the first, when repeated). */
export function header(request: SeatRushRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
