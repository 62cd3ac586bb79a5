import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ConfigurationError } from '../../src';
import { AdmissionTokens } from '../../src/subpaths/services';
import { SECRET } from './fixtures';

const tokens = new AdmissionTokens({ secret: SECRET });
const claims = { saleId: 'sale-1', userId: 'alice', until: 10_000 };

describe('AdmissionTokens', () => {
  it('verifies a token it issued for the same user and sale before it expires', () => {
    const token = tokens.issue(claims);
    expect(tokens.verify({ token, saleId: 'sale-1', userId: 'alice', now: 9_999 })).toEqual({
      ok: true,
      claims,
    });
  });

  it('refuses an expired token', () => {
    const token = tokens.issue(claims);
    expect(tokens.verify({ token, saleId: 'sale-1', userId: 'alice', now: 10_000 })).toEqual({
      ok: false,
      code: 'EXPIRED',
    });
  });

  it('binds the token to its user and its sale', () => {
    const token = tokens.issue(claims);
    expect(tokens.verify({ token, saleId: 'sale-1', userId: 'mallory', now: 0 })).toEqual({
      ok: false,
      code: 'WRONG_USER',
    });
    expect(tokens.verify({ token, saleId: 'sale-2', userId: 'alice', now: 0 })).toEqual({
      ok: false,
      code: 'WRONG_SALE',
    });
  });

  it('refuses a token whose payload was changed (a forged user or a later expiry)', () => {
    const [, signature] = tokens.issue(claims).split('.');
    const forged = Buffer.from(JSON.stringify({ ...claims, userId: 'mallory', until: 99_999 })).toString(
      'base64url',
    );
    expect(
      tokens.verify({ token: `${forged}.${signature}`, saleId: 'sale-1', userId: 'mallory', now: 0 }),
    ).toEqual({ ok: false, code: 'BAD_SIGNATURE' });
  });

  it('refuses a token signed with another secret', () => {
    const other = new AdmissionTokens({ secret: `${SECRET}-other` });
    const token = other.issue(claims);
    expect(tokens.verify({ token, saleId: 'sale-1', userId: 'alice', now: 0 }).ok).toBe(false);
    expect(tokens.verify({ token, saleId: 'sale-1', userId: 'alice', now: 0 })).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });

  it('accepts tokens of a previous secret during a rotation, and signs with the new one', () => {
    const before = new AdmissionTokens({ secret: SECRET });
    const after = new AdmissionTokens({ secret: `${SECRET}-new`, previousSecrets: [SECRET] });
    const old = before.issue(claims);
    expect(after.verify({ token: old, saleId: 'sale-1', userId: 'alice', now: 0 }).ok).toBe(true);
    const fresh = after.issue(claims);
    expect(before.verify({ token: fresh, saleId: 'sale-1', userId: 'alice', now: 0 })).toMatchObject({
      code: 'BAD_SIGNATURE',
    });
  });

  it.each([
    ['not a string', 42],
    ['empty', ''],
    ['one part', 'abc'],
    ['three parts', 'a.b.c'],
    ['not base64url', 'a+b.c/d'],
    ['too long', `${'a'.repeat(3000)}.b`],
  ])('answers MALFORMED for a token that is %s', (_, token) => {
    expect(tokens.verify({ token, saleId: 'sale-1', userId: 'alice', now: 0 })).toEqual({
      ok: false,
      code: 'MALFORMED',
    });
  });

  it('answers MALFORMED for a correctly signed payload that is not valid claims', () => {
    const payload = Buffer.from('{"saleId":"sale-1"}').toString('base64url');
    const signature = createHmac('sha256', SECRET).update(payload).digest('base64url');
    expect(
      tokens.verify({ token: `${payload}.${signature}`, saleId: 'sale-1', userId: 'alice', now: 0 }),
    ).toEqual({
      ok: false,
      code: 'MALFORMED',
    });
  });

  it('refuses a secret shorter than 32 bytes', () => {
    expect(() => new AdmissionTokens({ secret: 'short' })).toThrow(ConfigurationError);
    expect(() => new AdmissionTokens({ secret: SECRET, previousSecrets: ['short'] })).toThrow(
      ConfigurationError,
    );
  });

  it('refuses to sign claims with an unsafe id', () => {
    expect(() => tokens.issue({ saleId: 'sale{1}', userId: 'alice', until: 1 })).toThrow();
  });
});
