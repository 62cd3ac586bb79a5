import type { SeatRushRuntime } from '@seatrush/core';
import type { RequestHandler } from 'express';

/**
 * Feeds adaptive admission's health meter with every reserve answer that reached the stock path:
 * a hold (2xx) or not (409: taken, sold out, over the limit; 5xx: could not be queued), and its
 * latency. Refusals before the stock path (bad input, not admitted, rate limited) say nothing
 * about the pipeline's health and are left out.
 */
export function reserveHealthRecorder(runtime: SeatRushRuntime): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    const saleId = req.params.saleId;
    res.on('finish', () => {
      const status = res.statusCode;
      if (typeof saleId !== 'string' || !(status < 300 || status === 409 || status >= 500)) return;
      const latencyMs = Number(process.hrtime.bigint() - started) / 1e6;
      runtime.sale(saleId)?.adaptive.record({ held: status < 300, latencyMs });
    });
    next();
  };
}
