import { type Command, ValidationError } from '@seatrush/core';
import { COMMAND_TYPES, parseCommand } from '@seatrush/core/ports';
import { describe, expect, it } from 'vitest';

const base = { version: 1, saleId: 'concert-1', userId: 'user_42' } as const;

const good: Command[] = [
  { ...base, type: 'JoinQueue' },
  { ...base, type: 'JoinQueue', deviceId: 'fp-abc', challenge: { challengeId: 'c1', answer: '12345' } },
  { ...base, type: 'Heartbeat', traceId: 'trace-1' },
  { ...base, type: 'LeaveQueue' },
  {
    ...base,
    type: 'Reserve',
    admissionToken: 'tok.sig',
    selection: { kind: 'quantity', quantity: 2 },
    idempotencyKey: 'key-1',
  },
  {
    ...base,
    type: 'Reserve',
    admissionToken: 'tok.sig',
    selection: { kind: 'seats', seatIds: ['A-1', 'A-2'] },
    idempotencyKey: 'key-2',
  },
  { ...base, type: 'ExtendHold', reservationId: 'r-1' },
  { ...base, type: 'ReleaseHold', reservationId: 'r-1' },
  { ...base, type: 'Pay', reservationId: 'r-1', idempotencyKey: 'pay-1', paymentToken: 'card_tok_1' },
  { ...base, type: 'Cancel', reservationId: 'r-1', reason: 'changed my mind' },
];

/** The issues a command is refused with, as `path: message` strings. */
function issuesOf(input: unknown): string[] {
  try {
    parseCommand(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues.map((i) => `${i.path}: ${i.message}`);
  }
  throw new Error('the command was accepted');
}
const pathsOf = (input: unknown) => issuesOf(input).map((i) => i.split(': ')[0]);

const reserve = good[4] as Command;

describe('commands', () => {
  it('knows every command type', () => {
    expect(COMMAND_TYPES).toEqual([
      'JoinQueue',
      'Heartbeat',
      'LeaveQueue',
      'Reserve',
      'ExtendHold',
      'ReleaseHold',
      'Pay',
      'Cancel',
    ]);
    expect(new Set(good.map((c) => c.type))).toEqual(new Set(COMMAND_TYPES));
  });

  it.each(good.map((c) => [c.type, c] as const))('parses a good %s command unchanged', (_type, input) => {
    expect(parseCommand(input)).toEqual(input);
  });

  it('refuses a reserve command without an idempotency key', () => {
    const { idempotencyKey: _, ...rest } = reserve as Extract<Command, { type: 'Reserve' }>;
    expect(issuesOf(rest)).toEqual(['idempotencyKey: Invalid input: expected string, received undefined']);
    expect(pathsOf({ ...reserve, idempotencyKey: '' })).toEqual(['idempotencyKey']);
  });

  it('refuses a pay command without an idempotency key', () => {
    expect(pathsOf({ ...base, type: 'Pay', reservationId: 'r-1', paymentToken: 't' })).toEqual([
      'idempotencyKey',
    ]);
  });

  it.each(['a{b', 'a}b', 'a:b', 'a b', ' ab', 'ab\n', 'ä', '', 'x'.repeat(65)])(
    'refuses the id %j, outside the safe alphabet or too long, wherever it appears',
    (bad) => {
      expect(
        pathsOf({ ...reserve, saleId: bad, userId: bad, selection: { kind: 'seats', seatIds: ['ok', bad] } }),
      ).toEqual(['saleId', 'userId', 'selection.seatIds.1']);
      expect(pathsOf({ ...base, type: 'Cancel', reservationId: bad })).toEqual(['reservationId']);
      expect(pathsOf({ ...reserve, idempotencyKey: bad === 'x'.repeat(65) ? 'x'.repeat(129) : bad })).toEqual(
        ['idempotencyKey'],
      );
    },
  );

  it('refuses oversize input', () => {
    expect(pathsOf({ ...reserve, admissionToken: 't'.repeat(1025) })).toEqual(['admissionToken']);
    expect(pathsOf({ ...reserve, selection: { kind: 'quantity', quantity: 101 } })).toEqual([
      'selection.quantity',
    ]);
    const seatIds = Array.from({ length: 101 }, (_, i) => `s${i}`);
    expect(pathsOf({ ...reserve, selection: { kind: 'seats', seatIds } })).toEqual(['selection.seatIds']);
    expect(pathsOf({ ...base, type: 'Cancel', reservationId: 'r', reason: 'x'.repeat(201) })).toEqual([
      'reason',
    ]);
    expect(pathsOf({ ...base, type: 'Heartbeat', traceId: 't'.repeat(129) })).toEqual(['traceId']);
    expect(
      pathsOf({ ...base, type: 'JoinQueue', challenge: { challengeId: 'c', answer: '1'.repeat(257) } }),
    ).toEqual(['challenge.answer']);
  });

  it('lists every problem of a command at once', () => {
    const issues = pathsOf({
      type: 'Reserve',
      version: 1,
      saleId: 'bad id',
      userId: 'u:1',
      admissionToken: '',
      selection: { kind: 'quantity', quantity: 0 },
      idempotencyKey: '{k}',
      extra: true,
    });
    expect(issues.sort()).toEqual(
      ['', 'admissionToken', 'idempotencyKey', 'saleId', 'selection.quantity', 'userId'].sort(),
    );
  });

  it('refuses unknown keys, types and versions', () => {
    expect(issuesOf({ ...base, type: 'Heartbeat', idempotencyKeyy: 'k' }).join()).toContain(
      'idempotencyKeyy',
    );
    expect(pathsOf({ ...base, type: 'BuyEverything' })).toEqual(['type']);
    expect(pathsOf({ ...base, type: 'Heartbeat', version: 2 })).toEqual(['version']);
    expect(pathsOf({ ...base, type: 'Heartbeat', version: undefined })).toEqual(['version']);
    expect(pathsOf({ ...reserve, selection: { kind: 'everything' } })).toEqual(['selection.kind']);
  });

  it('refuses what is not a command object', () => {
    for (const input of [null, undefined, 'Reserve', 42, []]) expect(issuesOf(input)).toHaveLength(1);
  });
});
