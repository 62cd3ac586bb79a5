import { type RuntimeSale, UserId } from '@seatrush/core';
import { z } from '@seatrush/core/ports';
import { InvitationLane } from '@seatrush/core/services';
import { type Request, Router } from 'express';
import type { Platform } from '../platform/platform';
import type { OperatorAuth } from './operator-routes';
import { parse, saleOf } from './validate';

/** At most 30 days: an invitation is for one sale, not a standing pass. */
const MAX_VALIDITY_MS = 30 * 24 * 3_600_000;
const InvitationBody = z
  .object({
    userId: UserId,
    lane: InvitationLane,
    validForMs: z.number().int().min(1_000).max(MAX_VALIDITY_MS),
  })
  .strict();

/**
 * Signed invitations to the bypass and priority lanes, with the buyer page's join link (the
 * other queueing controls, adaptive admission among them, are @seatrush/http's).
 */
export function operatorQueueingRoutes(deps: { platform: Platform; auth: OperatorAuth }): Router {
  const { platform } = deps;
  const router = Router();
  router.use('/sales/:saleId/invitations', deps.auth.guard());

  const runtimeOf = (req: Request): RuntimeSale => saleOf(platform, req);

  /**
   * Signs an invitation for one user of one sale: `bypass` (admitted at once when there is room,
   * else first in line) or `priority` (admitted before the normal line). The join link opens the
   * buyer page, which sends the invitation with the join.
   */
  router.post('/sales/:saleId/invitations', (req, res) => {
    const runtime = runtimeOf(req);
    const body = parse('invitation', InvitationBody, req.body ?? {});
    const claims = {
      saleId: runtime.sale.id,
      userId: body.userId,
      lane: body.lane,
      expiresAt: platform.now() + body.validForMs,
    };
    const token = platform.invitations.issue(claims);
    const joinPath = `/?sale=${encodeURIComponent(runtime.sale.id)}&invitation=${token}`;
    res.status(201).json({
      invitation: { ...claims, token, joinPath, joinUrl: `${req.protocol}://${req.get('host')}${joinPath}` },
    });
  });

  return router;
}
