import { status as GrpcStatus, type Server, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import type { PeerCertificate } from 'node:tls';
import { methodPolicy, type MethodPolicy } from './method-roles';
import { describeIdentity, identityFromSubjectAltName, type ServiceIdentity } from './service-identity';
import { grpcError } from './status';
import { serverIdentity } from './tls';

const CLIENT_AUTH_OID = '1.3.6.1.5.5.7.3.2';

/** What the wrapper logs a refused call with (a pino logger fits). */
export interface DenialLogger {
  warn(obj: object, msg: string): void;
}

let denialLogger: DenialLogger | undefined;

/** Where refused internal calls are logged (each service's main sets its logger). */
export function setDenialLogger(logger: DenialLogger | undefined): void {
  denialLogger = logger;
}

export interface CallLike {
  getAuthContext?(): { transportSecurityType?: string; sslPeerCertificate?: PeerCertificate };
  getPeer?(): string;
}

/** The caller of a server call: undefined on a plaintext connection (internal.security.protocol=PLAINTEXT). */
export function callerOf(call: CallLike): { identity: ServiceIdentity | undefined; clientAuth: boolean } | undefined {
  const ctx = call.getAuthContext?.();
  if (!ctx || ctx.transportSecurityType !== 'ssl') return undefined;
  const cert = ctx.sslPeerCertificate;
  const eku = (cert as (PeerCertificate & { ext_key_usage?: string[] }) | undefined)?.ext_key_usage;
  return { identity: identityFromSubjectAltName(cert?.subjectaltname), clientAuth: !eku || eku.includes(CLIENT_AUTH_OID) };
}

/**
 * Why `call` may not run `path` under `policy` (undefined: it may). Plaintext calls pass: the
 * server only binds without TLS when the operator chose internal.security.protocol=PLAINTEXT.
 */
export function denial(call: CallLike, path: string, policy: MethodPolicy, request?: unknown): string | undefined {
  const caller = callerOf(call);
  if (!caller) return undefined;
  const { identity } = caller;
  if (!identity) return `${path}: the client certificate carries no DMS service identity (SAN URI dms://<role>/<id>)`;
  if (!caller.clientAuth) return `${path}: the certificate of ${describeIdentity(identity)} is not valid for client authentication`;
  const self = serverIdentity();
  const allowed = policy.callers.some((c) =>
    c === 'self' ? identity.role === 'broker' && self?.role === 'broker' && self.id === identity.id : c === identity.role,
  );
  if (!allowed) return `${path} may be called by ${policy.callers.join(', ')} only, not by ${describeIdentity(identity)}`;
  if (request !== undefined) return idMismatch(path, policy, identity, request);
  return undefined;
}

export function idMismatch(path: string, policy: MethodPolicy, identity: ServiceIdentity, request: unknown): string | undefined {
  if (!policy.callerIdField) return undefined;
  const claimed = (request as Record<string, unknown>)[policy.callerIdField];
  if (claimed === identity.id) return undefined;
  return `${path}: ${describeIdentity(identity)} may not act as ${policy.callerIdField} ${String(claimed)}`;
}

/** At most this many refusals logged per second; the rest are counted into the next line logged. */
const LOGGED_PER_SECOND = 10;
let logWindow = 0;
let loggedInWindow = 0;
let suppressed = 0;

function logRefusal(peer: string | undefined, reason: string, msg: string): void {
  const second = Math.floor(Date.now() / 1000);
  if (second !== logWindow) {
    logWindow = second;
    loggedInWindow = 0;
  }
  if (denialLogger && loggedInWindow < LOGGED_PER_SECOND) {
    loggedInWindow++;
    denialLogger.warn({ peer, reason, ...(suppressed ? { suppressedBefore: suppressed } : {}) }, msg);
    suppressed = 0;
  } else suppressed++;
}

/** Logs a refused call and returns the PERMISSION_DENIED error it fails with. */
export function refuse(call: CallLike, reason: string) {
  logRefusal(call.getPeer?.(), reason, 'internal call refused');
  return grpcError(GrpcStatus.PERMISSION_DENIED, `permission denied: ${reason}`);
}

/** Logs a connection the TLS handshake refused (clear text, or a certificate not from the internal CA). */
export function logRefusedConnection(err: Error, peer: { remoteAddress?: string; remotePort?: number }): void {
  logRefusal(`${peer.remoteAddress ?? '?'}:${peer.remotePort ?? '?'}`, err.message, 'internal connection refused');
}

type Handler = (...args: unknown[]) => unknown;
type Callback = (err: unknown, value?: unknown) => void;
type StreamCall = CallLike & { emit(event: 'error', err: Error): boolean; push(chunk: unknown): boolean };

/**
 * Each handler of `impl` checked against the method's policy before it runs, and, for request
 * streams with a caller id field, on every message. Throws for a method without a policy.
 */
export function authorizeService(def: ServiceDefinition, impl: UntypedServiceImplementation): UntypedServiceImplementation {
  const out: UntypedServiceImplementation = {};
  for (const [name, attrs] of Object.entries(def)) {
    const policy = methodPolicy(attrs.path);
    if (!policy) throw new Error(`no callers declared for ${attrs.path}: add it to libs/rpc/src/method-roles.ts`);
    const fn = (impl[name] ?? (attrs.originalName ? impl[attrs.originalName] : undefined)) as Handler | undefined;
    if (!fn) continue;
    const path = attrs.path;
    let wrapped: Handler;
    if (!attrs.requestStream) {
      // unary and server streaming: the one request is known before the handler runs.
      wrapped = (call, callback) => {
        const c = call as CallLike & { request: unknown };
        const reason = denial(c, path, policy, c.request);
        if (!reason) return fn.call(impl, call, callback);
        const err = refuse(c, reason);
        if (attrs.responseStream) (call as StreamCall).emit('error', err);
        else (callback as Callback)(err);
      };
    } else {
      wrapped = (call, callback) => {
        const c = call as StreamCall;
        const reason = denial(c, path, policy);
        if (reason) {
          const err = refuse(c, reason);
          if (attrs.responseStream) c.emit('error', err);
          else (callback as Callback)(err);
          return;
        }
        const caller = callerOf(c)?.identity;
        if (caller && policy.callerIdField) guardMessages(c, path, policy, caller, callback as Callback | undefined, !!attrs.responseStream);
        return fn.call(impl, call, callback);
      };
    }
    out[name] = wrapped as UntypedServiceImplementation[string];
  }
  return out;
}

/** Stops a request stream at the first message whose caller id field is not the caller's. */
function guardMessages(call: StreamCall, path: string, policy: MethodPolicy, caller: ServiceIdentity, callback: Callback | undefined, responseStream: boolean): void {
  const push = call.push.bind(call);
  let refused = false;
  call.push = (chunk: unknown) => {
    if (refused) return false;
    const reason = chunk === null ? undefined : idMismatch(path, policy, caller, chunk);
    if (!reason) return push(chunk);
    refused = true;
    const err = refuse(call, reason);
    if (responseStream) call.emit('error', err);
    else callback?.(err);
    return false;
  };
}

/** Makes every service later added to `server` authorized by method-roles.ts. */
export function enforceMethodPolicies(server: Server): void {
  const add = server.addService.bind(server);
  server.addService = (def: ServiceDefinition, impl: UntypedServiceImplementation) => add(def, authorizeService(def, impl));
}
