import { UnknownSaleError } from '../common/errors';
import { SaleId } from '../common/ids';
import { validate } from '../common/validate';
import {
  ConfigureSaleInput,
  InitializeSaleControlInput as InitializeInput,
  type InitializeSaleControlInput,
  InvitationRevocationInput,
  RecordAdaptiveDecisionInput,
  SaleControl,
  type SaleControlStore,
  type SaleControlWrite,
  SaleStateChangeInput,
} from '../ports/sale-control-store';
import { fastValidate } from './fast-validate';
import { copyPlain } from './plain-copy';

/**
 * Sale controls in memory, for one process: the executable specification of `SaleControlStore`.
 * Records are copied in and out, so a caller can never change one behind the store's back.
 */
export class MemorySaleControlStore implements SaleControlStore {
  readonly #controls = new Map<string, SaleControl>();
  /** The newest adaptive-decision fencing token seen, per sale. */
  readonly #fences = new Map<string, number>();
  readonly #revoked = new Map<string, Set<string>>();

  async initialize(input: InitializeSaleControlInput): Promise<{ created: boolean; control: SaleControl }> {
    const i = validate('sale control', InitializeInput, input);
    const existing = this.#controls.get(i.saleId);
    if (existing) return { created: false, control: copyPlain(existing) };
    const control: SaleControl = {
      saleId: i.saleId,
      revision: 1,
      state: i.state,
      admission: { ...i.admission, paused: false },
      queueingMethod: i.queueingMethod,
      adaptivePolicy: i.adaptivePolicy,
      lastAdaptiveDecision: null,
      updatedAt: i.now,
    };
    this.#controls.set(i.saleId, control);
    return { created: true, control: copyPlain(control) };
  }

  async read(saleId: string): Promise<SaleControl | null> {
    const control = this.#controls.get(fastValidate('sale id', SaleId, saleId));
    return control ? copyPlain(control) : null;
  }

  async revision(saleId: string): Promise<number | null> {
    return this.#controls.get(fastValidate('sale id', SaleId, saleId))?.revision ?? null;
  }

  async transition(input: SaleStateChangeInput): Promise<SaleControlWrite> {
    const { saleId, from, to, now } = fastValidate('sale state change', SaleStateChangeInput, input);
    const current = this.#existing(saleId);
    if (current.state !== from)
      return { applied: false, reason: 'STATE_CHANGED', control: copyPlain(current) };
    return this.#write({ ...current, state: to }, now);
  }

  async configure(input: ConfigureSaleInput): Promise<SaleControlWrite> {
    const i = validate('sale settings', ConfigureSaleInput, input);
    const current = this.#existing(i.saleId);
    if (i.expectedRevision !== undefined && i.expectedRevision !== current.revision)
      return { applied: false, reason: 'REVISION_CHANGED', control: copyPlain(current) };
    const next = validate('sale settings', SaleControl, {
      ...current,
      admission: { ...current.admission, ...i.admission },
      queueingMethod: i.queueingMethod ?? current.queueingMethod,
      adaptivePolicy: i.adaptivePolicy === undefined ? current.adaptivePolicy : i.adaptivePolicy,
    });
    return this.#write(next, i.now);
  }

  async recordAdaptiveDecision(input: RecordAdaptiveDecisionInput): Promise<SaleControlWrite> {
    const { saleId, decision, fencingToken, now } = fastValidate(
      'adaptive decision',
      RecordAdaptiveDecisionInput,
      input,
    );
    const current = this.#existing(saleId);
    if (fencingToken < (this.#fences.get(saleId) ?? 0))
      return { applied: false, reason: 'STALE_FENCE', control: copyPlain(current) };
    this.#fences.set(saleId, fencingToken);
    return this.#write(
      {
        ...current,
        admission: {
          ...current.admission,
          usersPerInterval: decision.usersPerInterval,
          paused: decision.paused,
        },
        lastAdaptiveDecision: { ...decision, at: now },
      },
      now,
    );
  }

  async revokeInvitation(input: { saleId: string; userId: string }): Promise<void> {
    const { saleId, userId } = fastValidate('invitation revocation', InvitationRevocationInput, input);
    this.#existing(saleId);
    const revoked = this.#revoked.get(saleId) ?? new Set<string>();
    revoked.add(userId);
    this.#revoked.set(saleId, revoked);
  }

  async isInvitationRevoked(input: { saleId: string; userId: string }): Promise<boolean> {
    const { saleId, userId } = fastValidate('invitation revocation', InvitationRevocationInput, input);
    return this.#revoked.get(saleId)?.has(userId) ?? false;
  }

  #existing(saleId: string): SaleControl {
    const control = this.#controls.get(saleId);
    if (!control) throw new UnknownSaleError(saleId);
    return control;
  }

  #write(next: SaleControl, now: number): SaleControlWrite {
    const control = { ...next, revision: next.revision + 1, updatedAt: now };
    this.#controls.set(control.saleId, control);
    return { applied: true, control: copyPlain(control) };
  }
}
