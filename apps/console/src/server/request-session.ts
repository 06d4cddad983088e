import type { FastifyRequest } from 'fastify';
import type { ConsoleResources } from './console-session';
import type { Session } from './sessions';

const sessionOfRequest = new WeakMap<FastifyRequest, Session<ConsoleResources>>();

/** Records the caller's session (the /api hook does, once it has checked the cookie). */
export function attachSession(req: FastifyRequest, s: Session<ConsoleResources>): void {
  sessionOfRequest.set(req, s);
}

/** The caller's session; routes under /api/auth do not have one. */
export function sessionOf(req: FastifyRequest): Session<ConsoleResources> {
  const s = sessionOfRequest.get(req);
  if (!s) throw Object.assign(new Error('login required'), { statusCode: 401 });
  return s;
}
