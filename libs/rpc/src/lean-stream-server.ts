import { EventEmitter } from 'node:events';
import type { Http2Server, Http2Session, IncomingHttpHeaders, ServerHttp2Stream } from 'node:http2';
import { constants as h2 } from 'node:http2';
import type { TLSSocket } from 'node:tls';
import { status as GrpcStatus, type Server } from '@grpc/grpc-js';
import { callerOf, denial, idMismatch, refuse, type CallLike } from './authorize';
import { FrameDecoder } from './grpc-framing';
import { methodPolicy, type MethodPolicy } from './method-roles';
import { MAX_MESSAGE_BYTES } from './options';
import type { ServiceIdentity } from './service-identity';

/**
 * What a bidi handler of StorageService uses of its call; grpc-js's ServerDuplexStream has it
 * too, so one handler serves both transports.
 */
export interface ServerMessageStream<Req, Res> {
  readonly cancelled: boolean;
  readonly destroyed: boolean;
  readonly writableEnded: boolean;
  write(message: Res): boolean;
  end(): void;
  on(event: 'data', listener: (message: Req) => void): this;
  on(event: 'end' | 'cancelled', listener: () => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
}

/** One bidi method served by our own framing on the gRPC server's HTTP/2 connections. */
export interface LeanRoute<Req, Res> {
  path: string;
  decode(bytes: Buffer): Req;
  /** The whole frame of an answer (see grpc-framing). */
  encode(message: Res): Buffer;
  /** Called with a frame once http2 is done with it (sent), so its buffer may be reused; not after a failed write. */
  written?(frame: Buffer): void;
  handler(call: ServerMessageStream<Req, Res>): void;
}

const ROUTED = Symbol('dms.leanRoutes');
type RoutedServer = Http2Server & { [ROUTED]?: Map<string, LeanRoute<unknown, unknown>> };

/**
 * Serves `routes` on every HTTP/2 server of a bound grpc-js `server` ahead of grpc-js: a stream
 * whose path is routed goes to our handler, every other stream to grpc-js as before. Clients see
 * the same gRPC method (a grpc-js client works unchanged), served without grpc-js's per-call and
 * per-message layers. The method's callers are checked as authorize.ts checks them, from the
 * same mutual-TLS peer certificate. Call after bindServer.
 */
export function serveLeanRoutes(server: Server, routes: LeanRoute<any, any>[]): void {
  for (const r of routes) if (!methodPolicy(r.path)) throw new Error(`no callers declared for ${r.path}: add it to libs/rpc/src/method-roles.ts`);
  const internals = server as unknown as { http2Servers?: Map<Http2Server, unknown> };
  const servers = [...(internals.http2Servers?.keys() ?? [])] as RoutedServer[];
  if (servers.length === 0) throw new Error('serveLeanRoutes needs a bound server (grpc-js internals not found)');
  for (const http2Server of servers) {
    let table = http2Server[ROUTED];
    if (!table) {
      const routed = (table = http2Server[ROUTED] = new Map());
      const grpcListeners = http2Server.listeners('stream') as ((...a: unknown[]) => void)[];
      http2Server.removeAllListeners('stream');
      http2Server.on('stream', (stream: ServerHttp2Stream, headers: IncomingHttpHeaders, flags: number) => {
        const route = routed.get(headers[':path'] ?? '');
        if (route && String(headers['content-type'] ?? '').startsWith('application/grpc')) serveStream(stream, route);
        else for (const l of grpcListeners) l.call(http2Server, stream, headers, flags);
      });
    }
    for (const r of routes) table.set(r.path, r as LeanRoute<unknown, unknown>);
  }
}

const callers = new WeakMap<Http2Session, { caller: ReturnType<typeof callerOf>; peer: string }>();

function callerOfSession(session: Http2Session): { caller: ReturnType<typeof callerOf>; peer: string } {
  let known = callers.get(session);
  if (!known) {
    const socket = session.socket as TLSSocket;
    const encrypted = !!socket.encrypted;
    const like: CallLike = {
      getAuthContext: () => (encrypted ? { transportSecurityType: 'ssl', sslPeerCertificate: socket.getPeerCertificate() } : {}),
    };
    known = { caller: callerOf(like), peer: `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}` };
    callers.set(session, known);
  }
  return known;
}

function serveStream(stream: ServerHttp2Stream, route: LeanRoute<unknown, unknown>): void {
  stream.on('error', () => undefined);
  const policy = methodPolicy(route.path)!;
  const { caller, peer } = callerOfSession(stream.session!);
  const like: CallLike = {
    getAuthContext: () => {
      const socket = stream.session?.socket as TLSSocket | undefined;
      return socket?.encrypted ? { transportSecurityType: 'ssl', sslPeerCertificate: socket.getPeerCertificate() } : {};
    },
    getPeer: () => peer,
  };
  const reason = caller === undefined ? undefined : denial(like, route.path, policy);
  if (reason) {
    const err = refuse(like, reason);
    trailersOnly(stream, GrpcStatus.PERMISSION_DENIED, err.details);
    return;
  }
  route.handler(new LeanServerCall(stream, route, like, policy, caller?.identity));
}

function trailersOnly(stream: ServerHttp2Stream, code: GrpcStatus, message: string): void {
  if (stream.destroyed || stream.headersSent) return;
  stream.respond(
    { [h2.HTTP2_HEADER_STATUS]: 200, [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc', 'grpc-status': String(code), 'grpc-message': percentEncoded(message) },
    { endStream: true },
  );
}

/** grpc-message as the gRPC spec encodes it: printable ASCII but '%' as is, everything else as percent-encoded UTF-8. */
export function percentEncoded(message: string): string {
  return message.replace(/[^\x20-\x24\x26-\x7e]/gu, (c) => encodeURIComponent(c));
}

class LeanServerCall<Req, Res> extends EventEmitter implements ServerMessageStream<Req, Res> {
  cancelled = false;
  writableEnded = false;
  private readonly decoder = new FrameDecoder(MAX_MESSAGE_BYTES);
  private status: { code: GrpcStatus; message: string } | undefined;

  constructor(
    private readonly stream: ServerHttp2Stream,
    private readonly route: LeanRoute<Req, Res>,
    private readonly like: CallLike,
    private readonly policy: MethodPolicy,
    private readonly identity: ServiceIdentity | undefined,
  ) {
    super();
    stream.respond({ [h2.HTTP2_HEADER_STATUS]: 200, [h2.HTTP2_HEADER_CONTENT_TYPE]: 'application/grpc', 'grpc-accept-encoding': 'identity' }, { waitForTrailers: true });
    stream.on('wantTrailers', () => {
      const s = this.status ?? { code: GrpcStatus.OK, message: '' };
      stream.sendTrailers(s.message ? { 'grpc-status': String(s.code), 'grpc-message': percentEncoded(s.message) } : { 'grpc-status': String(s.code) });
    });
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => {
      if (!this.cancelled && !this.status) this.emit('end');
    });
    stream.on('close', () => {
      if (this.writableEnded) return;
      this.cancelled = true;
      this.emit('cancelled');
    });
    stream.on('error', (err: Error) => {
      this.cancelled = true;
      this.emit('error', err);
    });
    stream.on('drain', () => this.emit('drain'));
    // A handler that emits 'error' on its call ends it with that status, as on a grpc-js call.
    this.on('error', (err: { code?: unknown; details?: unknown; message?: unknown }) => {
      if (this.status || this.cancelled) return;
      const code = typeof err.code === 'number' ? (err.code as GrpcStatus) : GrpcStatus.UNKNOWN;
      this.status = { code, message: String(err.details ?? err.message ?? 'failed') };
      this.end();
    });
  }

  get destroyed(): boolean {
    return this.stream.destroyed;
  }

  write(message: Res): boolean {
    if (this.writableEnded || this.stream.destroyed) return false;
    const frame = this.route.encode(message);
    const written = this.route.written;
    return written ? this.stream.write(frame, (err) => err || written(frame)) : this.stream.write(frame);
  }

  end(): void {
    if (this.writableEnded) return;
    this.writableEnded = true;
    if (!this.stream.destroyed) this.stream.end();
  }

  private onData(chunk: Buffer): void {
    if (this.status || this.cancelled) return;
    try {
      this.decoder.push(chunk, (bytes) => {
        if (this.status) return;
        const req = this.route.decode(bytes);
        const reason = this.identity && this.policy.callerIdField ? idMismatch(this.route.path, this.policy, this.identity, req) : undefined;
        if (reason) return this.fail(GrpcStatus.PERMISSION_DENIED, refuse(this.like, reason).details);
        this.emit('data', req);
      });
    } catch (err) {
      this.fail(GrpcStatus.INTERNAL, `${this.route.path}: ${(err as Error).message}`);
    }
  }

  /** Ends the call with an error status; the handler sees 'error' (as grpc-js reports a failed call). */
  private fail(code: GrpcStatus, message: string): void {
    if (this.status) return;
    this.status = { code, message };
    this.emit('error', Object.assign(new Error(message), { code }));
    this.end();
  }
}
