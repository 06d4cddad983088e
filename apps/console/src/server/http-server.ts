import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import fastifyStatic from '@fastify/static';
import type { Logger } from '@dms/platform';
import type { ConsoleResources } from './console-session';
import { toApiError } from './http-errors';
import { attachSession } from './request-session';
import { readCookie, SESSION_COOKIE, type SessionStore } from './sessions';
import { registerAuthRoutes } from './routes/auth';
import { registerOverviewRoutes } from './routes/overview';
import { registerTopicRoutes } from './routes/topics';
import { registerMessageRoutes } from './routes/messages';
import { registerGroupRoutes } from './routes/groups';
import { registerSecurityRoutes } from './routes/security';
import { registerChartRoutes } from './routes/charts';
import { noConsoleMetrics, type ConsoleMetrics } from './console-metrics';
import type { ChartSource } from './chart-source';

export interface ConsoleServerOptions {
  sessions: SessionStore<ConsoleResources>;
  /** Directory holding index.html and app.js (the bundled UI). */
  staticDir: string;
  https?: { cert: Buffer; key: Buffer };
  mechanism: string;
  logger?: Logger;
  /** Counts requests, logins and searches (metrics.port); nothing when absent. */
  metrics?: ConsoleMetrics;
  /** Where the throughput and lag charts come from (Prometheus when configured, else the sampler). */
  charts?: ChartSource;
}

/** Every /api call that changes something must carry this header: a cross-site form or image cannot. */
export const CSRF_HEADER = 'x-dms-console';

/** JSON with int64s as strings: offsets and sizes must not lose digits in the browser. */
const serialize = (payload: unknown) => JSON.stringify(payload, (_, v) => (typeof v === 'bigint' ? v.toString() : v));

export async function createConsoleServer(o: ConsoleServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: false,
    bodyLimit: 8 << 20,
    ...(o.https ? { https: { cert: o.https.cert, key: o.https.key } } : {}),
  } as object) as unknown as FastifyInstance;
  app.setReplySerializer(serialize);
  // Only JSON bodies: no text/plain or form parser, so a cross-site form post is refused with 415.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    if (body === '') return done(null, {});
    try {
      done(null, JSON.parse(body as string));
    } catch {
      done(Object.assign(new Error('request body is not valid JSON'), { statusCode: 400 }), undefined);
    }
  });

  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    reply.header('content-security-policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'");
    if (!req.url.startsWith('/api/')) return;
    reply.header('cache-control', 'no-store');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      if (req.headers[CSRF_HEADER] !== '1') return sendError(reply, 403, `missing ${CSRF_HEADER} header`);
      const origin = req.headers.origin;
      if (origin && origin !== `${o.https ? 'https' : 'http'}://${req.headers.host}`) return sendError(reply, 403, 'cross-origin request refused');
    }
    if (req.url.startsWith('/api/auth/')) return;
    const s = await o.sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE)).catch((e: Error) => e);
    if (s instanceof Error) return sendError(reply, 502, `cannot reach the cluster: ${s.message}`);
    if (!s) return sendError(reply, 401, 'login required');
    attachSession(req, s);
  });

  const metrics = o.metrics ?? noConsoleMetrics;
  app.addHook('onResponse', async (req, reply) => {
    // The route pattern (/api/topics/:topic), never the URL: topic names must not become labels.
    const route = req.routeOptions?.url ?? 'unmatched';
    metrics.onResponse(route, req.method, reply.statusCode, reply.elapsedTime);
  });

  app.setErrorHandler((err, _req, reply) => {
    const e = toApiError(err);
    if (e.status >= 500) o.logger?.warn({ err }, 'console request failed');
    void reply.status(e.status).send(e.body);
  });

  await app.register(async (api) => {
    registerAuthRoutes(api, o.sessions, { secure: !!o.https, mechanism: o.mechanism, metrics });
    registerOverviewRoutes(api);
    registerTopicRoutes(api);
    registerMessageRoutes(api, metrics);
    registerGroupRoutes(api);
    registerSecurityRoutes(api);
    registerChartRoutes(api, o.charts);
  }, { prefix: '/api' });

  if (existsSync(join(o.staticDir, 'index.html'))) {
    await app.register(fastifyStatic, { root: o.staticDir, index: 'index.html' });
  } else {
    const missing = `the console UI is not built: run node tools/build/build.mjs (looked in ${o.staticDir})`;
    app.get('/', async (_req, reply) => reply.type('text/plain').send(missing));
  }
  app.setNotFoundHandler((req, reply) => {
    if (req.url.startsWith('/api/')) return sendError(reply, 404, `no such API: ${req.method} ${req.url}`);
    const index = join(o.staticDir, 'index.html');
    if (req.method === 'GET' && existsSync(index)) return reply.type('text/html').send(readFileSync(index));
    return sendError(reply, 404, 'not found');
  });
  return app;
}

function sendError(reply: FastifyReply, status: number, error: string): FastifyReply {
  return reply.status(status).send({ error });
}
