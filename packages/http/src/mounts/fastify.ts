import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { SeatRushHttp } from '../http';

/**
 * A Fastify (5) plugin serving the API under the prefix it is registered with:
 * `app.register(fastifyPlugin(api), { prefix: '/api' })`. Fastify parses no body of these routes
 * (the API reads each one itself, after authentication and within the route's limit); each
 * request is handed to the API on the raw node:http objects.
 */
export function fastifyPlugin(api: SeatRushHttp): FastifyPluginAsync {
  return async (app: FastifyInstance) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
    const prefix = app.prefix;
    // handed over in the route's onRequest hook: Fastify's body parsing and validation steps,
    // which would only pass the body through untouched, are skipped (a hijacked reply ends them)
    const serve = (request: FastifyRequest, reply: FastifyReply, done: () => void) => {
      reply.hijack();
      const raw = request.raw;
      const url = raw.url ?? '/';
      raw.url = url.startsWith(prefix) ? url.slice(prefix.length) || '/' : url;
      void api.handle(raw, reply.raw).then((handled) => {
        if (handled) return;
        reply.raw.writeHead(404, { 'Content-Type': 'application/json; charset=utf-8' });
        reply.raw.end('{"error":{"code":"NOT_FOUND","message":"no such route"}}');
      });
      done();
    };
    app.all('/*', { onRequest: serve }, () => undefined);
  };
}
