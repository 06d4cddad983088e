import type { FastifyInstance } from 'fastify';
import { KafkaError, ErrorCode } from '@dms/kafka-client';
import type { ConsoleResources } from '../console-session';
import type { ConsoleMetrics } from '../console-metrics';
import { readCookie, SESSION_COOKIE, sessionCookie, type SessionStore } from '../sessions';

/** Login with the user's SASL credentials (the same users as Kafka clients), logout, and who am I. */
export function registerAuthRoutes(api: FastifyInstance, sessions: SessionStore<ConsoleResources>, o: { secure: boolean; mechanism: string; metrics?: ConsoleMetrics }): void {
  api.get('/auth/status', async (req) => {
    if (!sessions.loginRequired) return { loginRequired: false, user: null, mechanism: null };
    const s = await sessions.get(readCookie(req.headers.cookie, SESSION_COOKIE));
    return { loginRequired: true, user: s?.username ?? null, mechanism: o.mechanism };
  });

  api.post('/auth/login', async (req, reply) => {
    const body = (req.body ?? {}) as { username?: unknown; password?: unknown };
    if (!sessions.loginRequired) return reply.status(400).send({ error: 'this console has no login: the cluster listener has no SASL' });
    if (typeof body.username !== 'string' || body.username === '' || typeof body.password !== 'string') {
      return reply.status(400).send({ error: 'username and password are required' });
    }
    let s;
    try {
      s = await sessions.login({ username: body.username, password: body.password });
    } catch (e) {
      // The broker's answer to the SASL exchange: wrong user or password.
      if (e instanceof KafkaError && e.code === ErrorCode.SASL_AUTHENTICATION_FAILED) {
        o.metrics?.onLoginFailure(o.mechanism);
        return reply.status(401).send({ error: 'login failed: wrong username or password', errorCode: e.code, errorName: 'SASL_AUTHENTICATION_FAILED' });
      }
      throw e;
    }
    reply.header('set-cookie', sessionCookie(s.id, o.secure));
    return { user: s.username };
  });

  api.post('/auth/logout', async (req, reply) => {
    sessions.logout(readCookie(req.headers.cookie, SESSION_COOKIE));
    reply.header('set-cookie', sessionCookie('', o.secure, 0));
    return { ok: true };
  });
}
