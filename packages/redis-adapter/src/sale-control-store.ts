import {
  InfrastructureError,
  type SaleControl,
  type SaleControlStore,
  type SaleControlWrite,
  SaleId,
  UnknownSaleError,
} from '@seatrush/core';
import {
  ConfigureSaleInput,
  InitializeSaleControlInput,
  InvitationRevocationInput,
  RecordAdaptiveDecisionInput,
  SaleControl as SaleControlSchema,
  SaleStateChangeInput,
  validate,
} from '@seatrush/core/ports';
import { RedisStore } from './options';
import { pairs } from './replies';

/** How often `configure` without an expected revision merges again after another writer won. */
const MAX_CONFIGURE_ATTEMPTS = 5;

/**
 * Each sale's shared controls in one hash, `sr:{sale}:control`, beside the sale's other keys
 * (one hash tag), and its revoked invitations in `sr:{sale}:revoked`. Every write is one script
 * that checks its condition (the state, the revision, the fencing token) and bumps the revision,
 * so instances racing cannot both apply, and `revision` is one HGET.
 */
export class RedisSaleControlStore extends RedisStore implements SaleControlStore {
  async initialize(input: InitializeSaleControlInput): Promise<{ created: boolean; control: SaleControl }> {
    const i = validate('sale control', InitializeSaleControlInput, input);
    const reply = await this.#run('sale-control-init', i.saleId, [
      i.state,
      i.admission.usersPerInterval,
      i.admission.intervalMs,
      i.admission.maxActive,
      i.queueingMethod,
      i.adaptivePolicy === null ? '' : JSON.stringify(i.adaptivePolicy),
      i.now,
    ]);
    return { created: reply.status === 'CREATED', control: reply.control };
  }

  async read(saleId: string): Promise<SaleControl | null> {
    const id = validate('sale id', SaleId, saleId);
    const fields = await this.context.redis.hgetall(this.context.keys.sale(id).control);
    return Object.keys(fields).length === 0 ? null : controlFrom(id, fields);
  }

  async revision(saleId: string): Promise<number | null> {
    const id = validate('sale id', SaleId, saleId);
    const revision = await this.context.redis.hget(this.context.keys.sale(id).control, 'revision');
    return revision === null ? null : Number(revision);
  }

  async transition(input: SaleStateChangeInput): Promise<SaleControlWrite> {
    const { saleId, from, to, now } = validate('sale state change', SaleStateChangeInput, input);
    return writeOf(await this.#run('sale-control-transition', saleId, [from, to, now]));
  }

  async configure(input: ConfigureSaleInput): Promise<SaleControlWrite> {
    const i = validate('sale settings', ConfigureSaleInput, input);
    for (let attempt = 1; ; attempt += 1) {
      const current = await this.read(i.saleId);
      if (!current) throw new UnknownSaleError(i.saleId);
      if (i.expectedRevision !== undefined && i.expectedRevision !== current.revision)
        return { applied: false, reason: 'REVISION_CHANGED', control: current };
      // merged and validated here (cross-field rules included), written only at the revision read
      const next = validate('sale settings', SaleControlSchema, {
        ...current,
        admission: { ...current.admission, ...i.admission },
        queueingMethod: i.queueingMethod ?? current.queueingMethod,
        adaptivePolicy: i.adaptivePolicy === undefined ? current.adaptivePolicy : i.adaptivePolicy,
      });
      const write = writeOf(
        await this.#run('sale-control-configure', i.saleId, [
          current.revision,
          next.admission.usersPerInterval,
          next.admission.intervalMs,
          next.admission.maxActive,
          next.queueingMethod,
          next.adaptivePolicy === null ? '' : JSON.stringify(next.adaptivePolicy),
          i.now,
        ]),
      );
      if (write.applied || i.expectedRevision !== undefined || attempt >= MAX_CONFIGURE_ATTEMPTS)
        return write;
    }
  }

  async recordAdaptiveDecision(input: RecordAdaptiveDecisionInput): Promise<SaleControlWrite> {
    const { saleId, decision, fencingToken, now } = validate(
      'adaptive decision',
      RecordAdaptiveDecisionInput,
      input,
    );
    return writeOf(
      await this.#run('sale-control-decide', saleId, [
        fencingToken,
        decision.usersPerInterval,
        decision.paused ? 1 : 0,
        JSON.stringify({ ...decision, at: now }),
        now,
      ]),
    );
  }

  async revokeInvitation(input: { saleId: string; userId: string }): Promise<void> {
    const { saleId, userId } = validate('invitation revocation', InvitationRevocationInput, input);
    const keys = this.context.keys.sale(saleId);
    const done = await this.context.scripts.run(
      'sale-control-revoke',
      [keys.control, keys.revokedInvitations],
      [userId],
    );
    if (Number(done) !== 1) throw new UnknownSaleError(saleId);
  }

  async isInvitationRevoked(input: { saleId: string; userId: string }): Promise<boolean> {
    const { saleId, userId } = validate('invitation revocation', InvitationRevocationInput, input);
    return (
      (await this.context.redis.hexists(this.context.keys.sale(saleId).revokedInvitations, userId)) === 1
    );
  }

  async #run(
    script:
      | 'sale-control-init'
      | 'sale-control-transition'
      | 'sale-control-configure'
      | 'sale-control-decide',
    saleId: string,
    args: Array<string | number>,
  ): Promise<{ status: string; control: SaleControl }> {
    const reply = await this.context.scripts.list(script, [this.context.keys.sale(saleId).control], args);
    const status = String(reply[0]);
    if (status === 'UNKNOWN') throw new UnknownSaleError(saleId);
    return { status, control: controlFrom(saleId, pairs(reply, 1)) };
  }
}

function writeOf({ status, control }: { status: string; control: SaleControl }): SaleControlWrite {
  if (status === 'APPLIED') return { applied: true, control };
  if (status === 'STATE_CHANGED' || status === 'REVISION_CHANGED' || status === 'STALE_FENCE')
    return { applied: false, reason: status, control };
  throw new InfrastructureError(`Redis answered an unknown sale control status: ${status}`);
}

/** The record as the scripts keep it (see sale-control-init.lua), checked against core's schema. */
function controlFrom(saleId: string, fields: Record<string, string>): SaleControl {
  const parsed = SaleControlSchema.safeParse({
    saleId,
    revision: Number(fields.revision),
    state: fields.state,
    admission: {
      usersPerInterval: Number(fields.rate),
      intervalMs: Number(fields.interval),
      maxActive: Number(fields.maxActive),
      paused: fields.paused === '1',
    },
    queueingMethod: fields.method,
    adaptivePolicy: fields.policy ? JSON.parse(fields.policy) : null,
    lastAdaptiveDecision: fields.decision ? JSON.parse(fields.decision) : null,
    updatedAt: Number(fields.updatedAt),
  });
  if (!parsed.success)
    throw new InfrastructureError(
      `Redis holds a malformed sale control for ${saleId}: ${parsed.error.message}`,
    );
  return parsed.data;
}
