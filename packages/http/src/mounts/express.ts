import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SeatRushHttp } from '../http';

/** An Express (4 or 5) middleware: the shape Express calls, without importing Express. */
export type ExpressMiddleware = (
  req: IncomingMessage & { body?: unknown },
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/**
 * Mounts the API in an Express app: `app.use('/api', expressMiddleware(api))`. Express strips the
 * mount path from `req.url`, so the API's routes are relative to it; a request that is not one of
 * them goes on to `next()`. Mount it BEFORE any body parser (`express.json()`): the API reads each
 * body itself, after authentication and within the route's limit.
 */
export function expressMiddleware(api: SeatRushHttp): ExpressMiddleware {
  return (req, res, next) => {
    api.handle(req, res).then((handled) => {
      if (!handled) next();
    }, next);
  };
}
